/**
 * A bounded queue between two async stages: `put` waits while it is full, so a fast stage cannot
 * run ahead of a slow one and memory stays flat; `fail` wakes both sides with the error.
 * @internal
 */
export class Channel<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  #closed = false;
  #error: { e: unknown } | undefined;
  #wakePut: (() => void)[] = [];
  #wakeGet: (() => void)[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  #wake(list: (() => void)[]): void {
    for (const w of list.splice(0)) w();
  }

  /** Adds `item`, waiting for room; throws the channel's error once it failed. */
  async put(item: T): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#error) await new Promise<void>((r) => this.#wakePut.push(r));
    if (this.#error) throw this.#error.e;
    if (this.#closed) throw new Error('put on a closed channel');
    this.#items.push(item);
    this.#wake(this.#wakeGet);
  }

  /** The next item, or undefined once the channel is closed and empty; throws once it failed. */
  async get(): Promise<T | undefined> {
    while (this.#items.length === 0 && !this.#closed && !this.#error) await new Promise<void>((r) => this.#wakeGet.push(r));
    if (this.#error) throw this.#error.e;
    const item = this.#items.shift();
    this.#wake(this.#wakePut);
    return item;
  }

  /** No more items: get() drains what is left, then returns undefined. */
  close(): void {
    this.#closed = true;
    this.#wake(this.#wakeGet);
  }

  /** Both sides throw `e` from now on (the first failure wins). */
  fail(e: unknown): void {
    if (this.#error) return;
    this.#error = { e };
    this.#items.length = 0;
    this.#wake(this.#wakeGet);
    this.#wake(this.#wakePut);
  }
}
