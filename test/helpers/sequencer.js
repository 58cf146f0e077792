// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest loads its sequencer as CommonJS
const Sequencer = require('@jest/test-sequencer').default;

/**
 * The longest files first, even on a fresh clone (no timings cached yet, where jest would start with the largest
 * files): on two workers a long file started last is the suite's tail. Jest's own order (cached timings, failures
 * first, then size) for the rest.
 */
const LONGEST_FIRST = [
  'test/extraction/accuracy.test.ts',
  'test/service/restart.test.ts',
  'test/service/start.test.ts',
  'test/faults/uploads.test.ts',
  'test/hostile/hostile-input.test.ts',
  'test/api/rights.test.ts',
  'test/workflows/pro-forma.test.ts',
  'test/faults/worker-kill.test.ts',
  'test/faults/temporal-restart.test.ts',
];

class LongestFirstSequencer extends Sequencer {
  sort(tests) {
    const rank = (test) => {
      const index = LONGEST_FIRST.findIndex((file) => test.path.endsWith(file));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    const byJest = super.sort(tests);
    const order = new Map(byJest.map((test, index) => [test.path, index]));
    return [...byJest].sort((a, b) => rank(a) - rank(b) || order.get(a.path) - order.get(b.path));
  }
}

module.exports = LongestFirstSequencer;
