import { isKnownCurrency, toMinorUnits } from '@kometpay/money';
import type { TemplateName } from './template-data.js';

/** Thrown by render() for data no template should be rendered with: a bug upstream, not worth retrying. */
export class TemplateDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateDataError';
  }
}

const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

/** Reads the fields of one object, each checked and normalised, naming its path when one is wrong. */
class Fields {
  private constructor(
    private readonly record: Record<string, unknown>,
    private readonly path: string,
  ) {}

  static of(value: unknown, path: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new TemplateDataError(`${path} must be an object, got ${kindOf(value)}`);
    }
    return new Fields(value as Record<string, unknown>, path);
  }

  private fail(key: string, expected: string): never {
    throw new TemplateDataError(`${this.path}.${key} must be ${expected}, got ${kindOf(this.record[key])}`);
  }

  optional<T>(key: string, read: (key: string) => T): T | null {
    return this.record[key] === undefined || this.record[key] === null ? null : read(key);
  }

  text(key: string): string {
    const value = this.record[key];
    if (typeof value !== 'string' || value.trim() === '') this.fail(key, 'a non-empty string');
    return value;
  }

  number(key: string): number {
    const value = this.record[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(key, 'a finite number');
    return value;
  }

  minorUnits(key: string): bigint {
    const value = this.record[key];
    if (typeof value !== 'bigint' && !(typeof value === 'string' && /^-?\d+$/.test(value))) {
      this.fail(key, 'integer minor units (a bigint or a digit string)');
    }
    return toMinorUnits(value);
  }

  currency(key: string): string {
    const code = this.text(key);
    if (!isKnownCurrency(code)) throw new TemplateDataError(`${this.path}.${key}: unknown currency "${code}"`);
    return code.toUpperCase();
  }

  choice<T extends string>(key: string, options: readonly T[]): T {
    const value = this.record[key];
    if (!options.includes(value as T)) this.fail(key, `one of ${options.map((o) => `"${o}"`).join(', ')}`);
    return value as T;
  }

  /** Only http(s): the URL lands in an href, where javascript: or data: would run or mislead. */
  httpUrl(key: string): string {
    const value = this.text(key);
    const url = URL.parse(value);
    if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new TemplateDataError(`${this.path}.${key} must be an http(s) URL`);
    }
    return url.href;
  }

  /** #rrggbb */
  hexColor(key: string): string {
    const value = this.text(key);
    if (!/^#[0-9a-f]{6}$/i.test(value)) this.fail(key, 'a #rrggbb colour');
    return value.toLowerCase();
  }

  /** An image source: an inline attachment's `cid:` or an http(s) URL. */
  imageSource(key: string): string {
    const value = this.text(key);
    if (/^cid:[A-Za-z0-9._@-]{1,200}$/.test(value)) return value;
    return this.httpUrl(key);
  }

  object(key: string): Fields {
    return Fields.of(this.record[key], `${this.path}.${key}`);
  }

  email(key: string): string {
    const value = this.text(key);
    if (!/^[\w.!#$%'*+/=^`{|}~-]+@[a-z\d-]+(\.[a-z\d-]+)+$/i.test(value)) this.fail(key, 'an email address');
    return value;
  }

  /** A calendar date, YYYY-MM-DD, as midnight UTC. */
  date(key: string): Date {
    const value = this.text(key);
    const date = new Date(`${value}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
      this.fail(key, 'a YYYY-MM-DD date');
    }
    return date;
  }

  dateTime(key: string): Date {
    const value = this.text(key);
    const date = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(date.getTime())) this.fail(key, 'an ISO 8601 timestamp');
    return date;
  }

  list<T>(key: string, read: (item: Fields) => T, { nonEmpty }: { nonEmpty: boolean }): T[] {
    const value = this.record[key];
    if (!Array.isArray(value) || (nonEmpty && value.length === 0)) this.fail(key, nonEmpty ? 'a non-empty array' : 'an array');
    return value.map((item, i) => read(Fields.of(item, `${this.path}.${key}[${i}]`)));
  }

  textList(key: string): string[] {
    const value = this.record[key];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.trim() !== '')) {
      this.fail(key, 'an array of non-empty strings');
    }
    return value;
  }
}

const DEFAULT_ACCENT = { accentColor: '#1d4ed8', accentTextColor: '#ffffff' };

/** Every email's branding and support address, with KometPay's defaults for what is absent. */
function branded(f: Fields) {
  const brand = f.optional('brand', (k) => f.object(k));
  const accentColor = brand?.optional('accentColor', (k) => brand.hexColor(k)) ?? null;
  return {
    supportEmail: f.optional('supportEmail', (k) => f.email(k)),
    brand: {
      logoSrc: brand?.optional('logoSrc', (k) => brand.imageSource(k)) ?? null,
      ...(accentColor
        ? { accentColor, accentTextColor: brand?.optional('accentTextColor', (k) => brand.hexColor(k)) ?? '#ffffff' }
        : DEFAULT_ACCENT),
    },
  };
}

function invoice(f: Fields) {
  return {
    merchantName: f.text('merchantName'),
    customerName: f.text('customerName'),
    invoiceNumber: f.text('invoiceNumber'),
    currency: f.currency('currency'),
    lines: f.list(
      'lines',
      (line) => ({
        description: line.text('description'),
        quantity: line.number('quantity'),
        unitAmount: line.minorUnits('unitAmount'),
        amount: line.minorUnits('amount'),
      }),
      { nonEmpty: true },
    ),
    total: f.minorUnits('total'),
    amountPaid: f.minorUnits('amountPaid'),
    amountCredited: f.optional('amountCredited', (k) => f.minorUnits(k)),
    amountDue: f.minorUnits('amountDue'),
    dueDate: f.optional('dueDate', (k) => f.date(k)),
    payUrl: f.httpUrl('payUrl'),
    ...branded(f),
  };
}

const readers: { [N in TemplateName]: (f: Fields) => object } = {
  invoice,
  'invoice-link-regenerated': (f) => ({ ...invoice(f), reason: f.choice('reason', ['expired', 'resent']) }),
  'payment-receipt': (f) => ({
    merchantName: f.text('merchantName'),
    customerName: f.text('customerName'),
    invoiceNumbers: f.textList('invoiceNumbers'),
    amount: f.minorUnits('amount'),
    currency: f.currency('currency'),
    methodLabel: f.text('methodLabel'),
    authorizationCode: f.text('authorizationCode'),
    paidAt: f.dateTime('paidAt'),
    status: f.choice('status', ['succeeded', 'processing']),
    ...branded(f),
  }),
  'microdeposit-verification': (f) => ({
    merchantName: f.text('merchantName'),
    customerName: f.text('customerName'),
    invoiceNumbers: f.textList('invoiceNumbers'),
    amount: f.minorUnits('amount'),
    currency: f.currency('currency'),
    methodLabel: f.text('methodLabel'),
    microdepositType: f.choice('microdepositType', ['amounts', 'descriptor_code']),
    verifyUrl: f.httpUrl('verifyUrl'),
    ...branded(f),
  }),
  'card-setup-link': (f) => ({
    merchantName: f.text('merchantName'),
    customerName: f.text('customerName'),
    setupUrl: f.httpUrl('setupUrl'),
    expiresAt: f.dateTime('expiresAt'),
    ...branded(f),
  }),
  'staff-invitation': (f) => ({
    merchantName: f.text('merchantName'),
    staffName: f.text('staffName'),
    role: f.choice('role', ['STAFF', 'SUPERVISOR']),
    invitedBy: f.optional('invitedBy', (k) => f.text(k)),
    acceptUrl: f.httpUrl('acceptUrl'),
    expiresAt: f.dateTime('expiresAt'),
    ...branded(f),
    supportEmail: null,
  }),
};

/**
 * Checks a template's data at runtime (it often arrives as JSON from the outbox, past the type checker)
 * and returns it normalised for the templates: amounts as bigint, dates as Date, every field present.
 */
export function readTemplateData(name: TemplateName, data: unknown): object {
  return readers[name](Fields.of(data, name));
}
