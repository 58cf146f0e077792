import type { RouteObject } from 'react-router';
import type { NavSection } from '../../nav';

export const adminNav: NavSection[] = [];

export const adminRoutes: RouteObject[] = [];
