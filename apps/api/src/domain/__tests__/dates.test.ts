import { parseCalendarDate, parseInstant } from '../dates.js';

describe('dates from outside', () => {
  it('parses calendar dates that exist, years 0001 to 9999', () => {
    expect(parseCalendarDate('2024-02-29')).toBe('2024-02-29');
    for (const text of ['2026-02-31', '2026-13-01', '0000-01-01', '99999-01-01', '2026-1-1', '20260101', '2026-01-01T00:00:00Z'])
      expect(parseCalendarDate(text)).toBeNull();
  });

  it('parses RFC 3339 instants and calendar dates, refusing what PostgreSQL would fail on', () => {
    expect(parseInstant('2026-01-31')?.toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(parseInstant('2026-01-31T09:00:00+02:00')?.toISOString()).toBe('2026-01-31T07:00:00.000Z');
    for (const text of [
      '99999-01-01',
      '+099999-01-01T00:00:00Z',
      '2026-02-31',
      '2026-01-31T09:00:00',
      '2026-01-31T25:00:00Z',
      'yesterday',
      '',
    ])
      expect(parseInstant(text)).toBeNull();
  });
});
