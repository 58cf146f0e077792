import type { RouteObject } from 'react-router';
import type { NavSection } from '../../nav';

export const deskNav: NavSection[] = [];

export const deskRoutes: RouteObject[] = [];
