import { placeFilter, placesFilter } from './access';

const finance = { username: 'f', roles: ['finance'] };
const cashier = { username: 'c', roles: ['cashier'], placeCode: 'MZ01' };
const campus = { username: 'k', roles: ['cashier'], scope: { kind: 'points' as const, points: ['MZ01', 'MZ02'] } };
const doctor = { username: 'd', roles: ['doctor'] };

describe('placesFilter (the finance reports)', () => {
  it('is the whole hospital for finance, the one point asked for when in scope', () => {
    expect(placesFilter(finance)).toBeUndefined();
    expect(placesFilter(finance, 'ZY01')).toEqual(['ZY01']);
    expect(placesFilter(cashier)).toEqual(['MZ01']);
  });
  it('covers every point of a scope of several (placeFilter took the first only)', () => {
    expect(placesFilter(campus)).toEqual(['MZ01', 'MZ02']);
    expect(placeFilter(campus)).toBe('MZ01');
    expect(placesFilter(campus, 'MZ02')).toEqual(['MZ02']);
  });
  it('refuses a point outside the scope naming placeCode, and matches nothing for a viewer without points', () => {
    expect(() => placesFilter(cashier, 'ZY01')).toThrow(/^placeCode: /);
    expect(placesFilter(doctor)).toEqual(['-']);
  });
});
