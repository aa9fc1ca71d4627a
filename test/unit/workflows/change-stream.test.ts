import { describe, expect, it } from 'vitest';
import { ChangeStream } from '../../../workflows/change-stream.js';

describe('ChangeStream', () => {
  it('hands out values pushed before and after they are asked for, in order', async () => {
    const stream = new ChangeStream<number>();
    stream.push(1);
    stream.push(2);
    expect(await stream.next()).toEqual({ value: 1, done: false });
    expect(await stream.next()).toEqual({ value: 2, done: false });
    const third = stream.next();
    stream.push(3);
    stream.push(4);
    expect(await third).toEqual({ value: 3, done: false });
    expect(await stream.next()).toEqual({ value: 4, done: false });
  });

  it('runs its clean-up once when the consumer returns, and ends a pending pull', async () => {
    const stream = new ChangeStream<number>();
    let cleaned = 0;
    stream.onEnded(() => cleaned++);
    const pending = stream.next();
    await stream.return();
    await stream.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    stream.push(1);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(cleaned).toBe(1);
  });

  it('runs a clean-up given after it ended at once', () => {
    const stream = new ChangeStream<number>();
    void stream.return();
    let cleaned = false;
    stream.onEnded(() => (cleaned = true));
    expect(cleaned).toBe(true);
  });

  it('fails after the values already pushed, then ends', async () => {
    const stream = new ChangeStream<number>();
    let cleaned = false;
    stream.onEnded(() => (cleaned = true));
    stream.push(1);
    stream.fail(new Error('No such order.'));
    expect(cleaned).toBe(true);
    expect(await stream.next()).toEqual({ value: 1, done: false });
    await expect(stream.next()).rejects.toThrow('No such order.');
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('rejects a pull already waiting when it fails', async () => {
    const stream = new ChangeStream<number>();
    const pending = stream.next();
    stream.fail(new Error('Redis is gone'));
    await expect(pending).rejects.toThrow('Redis is gone');
  });
});
