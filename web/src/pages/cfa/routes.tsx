import type { RouteObject } from 'react-router';
import type { NavSection } from '../../nav';

export const cfaNav: NavSection[] = [];

export const cfaRoutes: RouteObject[] = [];
