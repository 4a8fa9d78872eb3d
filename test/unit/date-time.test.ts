import { GraphQLDateTimeISO } from 'graphql-scalars';
import { DateTimeISO } from '../../src/graphql/date-time';

describe('DateTimeISO (graphql-scalars, serialisation of strings remembered)', () => {
  it('is graphql-scalars scalar to the outside: name, description, and the same answers', () => {
    expect(DateTimeISO.name).toBe(GraphQLDateTimeISO.name);
    expect(DateTimeISO.description).toBe(GraphQLDateTimeISO.description);
    const date = new Date('2026-12-06T21:00:00.123Z');
    for (const value of [date, '2026-12-06T21:00:00.123Z', '2026-12-06T22:00:00+01:00', date.getTime()]) {
      expect(DateTimeISO.serialize(value)).toEqual(GraphQLDateTimeISO.serialize(value));
      expect(DateTimeISO.serialize(value)).toEqual(GraphQLDateTimeISO.serialize(value)); // remembered: same
    }
    expect(DateTimeISO.parseValue('2026-12-06T21:00:00.123Z')).toEqual(
      GraphQLDateTimeISO.parseValue('2026-12-06T21:00:00.123Z'),
    );
  });

  it('refuses an invalid string every time (nothing invalid is remembered)', () => {
    for (let i = 0; i < 2; i++) expect(() => DateTimeISO.serialize('2026-13-45T99:00:00Z')).toThrow(/DateTime/);
  });
});
