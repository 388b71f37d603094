import { afterEach, describe, expect, it, vi } from 'vitest';
import { deadline } from '../../src/gate/deadline.js';

describe('deadline', () => {
  afterEach(() => vi.restoreAllMocks());

  it('has no time left once its timer fired, even when Date.now() lags behind the timer', async () => {
    // Node may run a timer a millisecond before Date.now() reaches its end; freeze
    // the clock to make that lag as large as it gets.
    const frozen = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(frozen);
    const budget = deadline(20);
    await expect(budget.race(() => new Promise(() => {}), () => new Error('late'))).rejects.toThrow('late');
    expect(budget.left()).toBe(0);
    budget.clear();
  });
});
