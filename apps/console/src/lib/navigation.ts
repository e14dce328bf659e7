/**
 * The console's sections, in the order of the navigation. A new screen is one entry here (and its
 * route): Settings' "Processor account" (issue 18) goes after its other pages.
 */
export interface Section {
  href: string;
  label: string;
}

export const sections: Section[] = [
  { href: '/', label: 'Home' },
  { href: '/customers', label: 'Customers' },
  { href: '/invoices', label: 'Invoices' },
  { href: '/payments', label: 'Take a payment' },
  { href: '/transactions', label: 'Transactions' },
  { href: '/disputes', label: 'Disputes' },
  { href: '/settlement', label: 'Settlement' },
  { href: '/settings', label: 'Settings' },
];

export const paymentPages: Section[] = [
  { href: '/payments/invoices', label: 'Pay invoices' },
  { href: '/payments/terminal', label: 'Terminal' },
  { href: '/payments/virtual-terminal', label: 'Virtual terminal' },
];

export const settingsPages: Section[] = [
  { href: '/settings/branding', label: 'Branding' },
  { href: '/settings/payments-account', label: 'Payments account' },
  { href: '/settings/staff', label: 'Staff' },
  { href: '/settings/supervisor-password', label: 'Supervisor password' },
  { href: '/settings/my-password', label: 'My password' },
];

/** The section a path belongs to (the longest matching prefix; Home only for "/"). */
export function sectionOf(pathname: string): Section | undefined {
  return sections.filter((s) => (s.href === '/' ? pathname === '/' : pathname === s.href || pathname.startsWith(`${s.href}/`))).at(-1);
}
