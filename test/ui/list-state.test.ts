import { describe, expect, it } from 'vitest';
import { listStateSearch, pageNumbers, readListState } from '../../src/ui/list-state.js';
import { nextSort } from '../../src/ui/table.js';

describe('the list state in the URL', () => {
  it('reads back what it writes: filters under the API names, then view and page', () => {
    const state = {
      query: { q: 'naïve & 50%', model: 'gpt-4o', errorsOnly: true, from: '2026-01-01T00:00:00.000Z', sort: 'tokens_desc' as const },
      view: 'table' as const,
      page: 3,
    };
    const search = listStateSearch(state);
    expect(search).toBe(
      '?model=gpt-4o&error=true&from=2026-01-01T00%3A00%3A00.000Z&q=na%C3%AFve+%26+50%25&sort=tokens_desc&view=table&page=3',
    );
    expect(readListState(search)).toEqual(state);
  });

  it('leaves out what it cannot use, so a mangled link still opens a list', () => {
    expect(readListState('?sort=cheapest&view=grid&page=-2&from=yesterday&error=maybe&model=%20%20&tag=eu')).toEqual({
      query: { tag: 'eu' },
      view: undefined,
      page: 1,
    });
    expect(listStateSearch({ query: { sort: 'newest' }, page: 1 })).toBe('');
  });

  it('offers the first, the last and two pages either side of the current one by number, a one-page gap as that page', () => {
    expect(pageNumbers(1, 1)).toEqual([1]);
    expect(pageNumbers(1, 9)).toEqual([1, 2, 3, 'gap', 9]);
    expect(pageNumbers(1, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(pageNumbers(5, 9)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pageNumbers(10, 200)).toEqual([1, 'gap', 8, 9, 10, 11, 12, 'gap', 200]);
  });

  it('sorts a column highest first, then lowest on a second press; time is newest first', () => {
    expect(nextSort('duration', 'newest')).toBe('duration_desc');
    expect(nextSort('duration', 'duration_desc')).toBe('duration_asc');
    expect(nextSort('duration', 'duration_asc')).toBe('duration_desc');
    expect(nextSort('tokens', 'duration_desc')).toBe('tokens_desc');
    expect(nextSort('time', 'cost_asc')).toBe('newest');
  });
});
