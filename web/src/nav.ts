import type { Right } from './types';

/** A link of the side navigation, shown to users holding `right`. */
export interface NavItem {
  label: string;
  to: string;
  right: Right;
  /** Shown only to these roles (the CFA portal's pages to CFA users, say), besides the right. */
  roles?: readonly ('admin' | 'validator' | 'cfa')[];
}

export interface NavSection {
  title: string;
  items: NavItem[];
}
