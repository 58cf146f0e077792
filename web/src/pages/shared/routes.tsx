import type { RouteObject } from 'react-router';
import type { NavSection } from '../../nav';

export const sharedNav: NavSection[] = [];

export const sharedRoutes: RouteObject[] = [];
