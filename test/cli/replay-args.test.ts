import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReplayArgs, parseServeArgs, UsageError } from '../../src/cli/args.js';

describe('genspan replay arguments', () => {
  it('reads the list filters by their REST names, and each variant with its settings as JSON where they are JSON', () => {
    const args = parseReplayArgs(
      [
        '--service',
        'checkout',
        '--error',
        '--minCost',
        '0.01',
        '--from',
        '2026-01-01',
        '--limit',
        '1000',
        '--variant',
        'model=gpt-4o-mini',
        '--variant',
        'provider=local,model=llama3,temperature=0.2,stop=["\\n"],user=ci bot,template=prompts/a.txt',
        '--concurrency',
        '8',
      ],
      {},
    );
    expect(args).toEqual({
      help: false,
      endpoint: 'http://127.0.0.1:4318',
      token: undefined,
      name: undefined,
      source: { filter: { serviceName: 'checkout', errorsOnly: true, minCost: 0.01, from: '2026-01-01T00:00:00.000Z', limit: 1000 } },
      variants: [
        { provider: 'openai', model: 'gpt-4o-mini', settings: {} },
        {
          provider: 'local',
          model: 'llama3',
          settings: { temperature: 0.2, stop: ['\n'], user: 'ci bot' },
          templateFile: resolve('prompts/a.txt'),
        },
      ],
      concurrency: 8,
      json: false,
      failOnDiff: false,
    });
  });

  it('takes ids instead of filters, and the token from the environment', () => {
    expect(parseReplayArgs(['--ids', 'a, b,,c', '--variant', 'model=m', '--json', '--fail-on-diff'], { GENSPAN_TOKEN: 't' })).toMatchObject(
      {
        source: { ids: ['a', 'b', 'c'] },
        token: 't',
        json: true,
        failOnDiff: true,
      },
    );
  });

  it.each([
    [['--variant', 'model=m', '--limit', '1001'], '--limit must be at most 1000'],
    [['--variant', 'model=m', '--from', 'yesterday'], '--from must be an ISO-8601 time, got "yesterday"'],
    [['--variant', 'model=m,temperature='], '--variant 1: temperature needs a value'],
    [['--variant', 'model=m', '--ids', ','], '--ids needs generation ids, separated by commas'],
    [['--variant', 'model=m', '--name', ' '], '--name must not be empty'],
    [Array.from({ length: 7 }, () => ['--variant', 'model=m']).flat(), '--variant is given 7 times; at most 6'],
  ])('refuses %j with one message', (argv, message) => {
    expect(() => parseReplayArgs(argv, {})).toThrow(new UsageError(message));
  });

  it('serve takes --experiment-concurrency, 4 by default', () => {
    expect(parseServeArgs([], {})).toHaveProperty('experimentConcurrency', 4);
    expect(parseServeArgs(['--experiment-concurrency', '16'], {})).toHaveProperty('experimentConcurrency', 16);
    expect(() => parseServeArgs(['--experiment-concurrency', '0'], {})).toThrow(/--experiment-concurrency must be a positive whole number/);
  });
});
