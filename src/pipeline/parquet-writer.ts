/**
 * Scored rows into Parquet through parquet-wasm (Rust's parquet crate in WebAssembly): each batch
 * becomes an Arrow record batch over the batch's own typed arrays (apache-arrow), the streaming
 * writer encodes it as one row group, and its bytes go to the file as they come, so memory stays
 * flat. Columns: `symbol` (a dictionary string, when the input had one), `timestamp`
 * (TIMESTAMP(MICROS, UTC), null where the row had none), the four P(up) (DOUBLE), `label` (UINT8).
 * @internal
 */
import { type FileHandle, open } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import * as pq from 'parquet-wasm';
import type { BatchWriter, ScoredBatch } from './batch.js';

/** The columns of one row group (`symbolIndex` / `symbols` only for a file with a symbol column). */
export type RowGroup = Pick<ScoredBatch, 'rows' | 'timeUs' | 'lightgbm' | 'xgboost' | 'randomForest' | 'ensemble' | 'label'> &
  Partial<Pick<ScoredBatch, 'symbolIndex' | 'symbols'>>;

const TIME = new arrow.TimestampMicrosecond('UTC');
const DOUBLE = new arrow.Float64();
const UINT8 = new arrow.Uint8();
const SYMBOL = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32(), 0);
const PROBABILITIES = ['lightgbm', 'xgboost', 'random_forest', 'ensemble'] as const;

/** The output columns (`symbol` first when the input had one). */
function schemaOf(withSymbol: boolean): arrow.Schema {
  return new arrow.Schema([
    ...(withSymbol ? [new arrow.Field('symbol', SYMBOL, false)] : []),
    new arrow.Field('timestamp', TIME, true),
    ...PROBABILITIES.map((name) => new arrow.Field(name, DOUBLE, false)),
    new arrow.Field('label', UINT8, false),
  ]);
}

function properties(keyValues: Record<string, string>): pq.WriterProperties {
  return (
    new pq.WriterPropertiesBuilder()
      // Random doubles do not compress (Snappy saved 5% of the file for a tenth of the writer's time).
      .setCompression(pq.Compression.UNCOMPRESSED)
      .setDictionaryEnabled(false)
      .setColumnDictionaryEnabled('symbol', true)
      .setColumnDictionaryEnabled('label', true)
      // A row group as soon as a batch is written: each write() is one row group, and nothing
      // waits in WebAssembly memory for more rows (a dataset keeps a writer open per symbol).
      .setMaxRowGroupBytes(1)
      .setKeyValueMetadata(new Map(Object.entries(keyValues)))
      .setCreatedBy('production-ensemble')
      .build()
  );
}

/** Epoch µs (doubles, NaN = none) as Arrow's int64 words and validity bits, without a BigInt per value. */
function timestamps(timeUs: Float64Array, n: number): { data: BigInt64Array; nullBitmap?: Uint8Array; nullCount: number } {
  const data = new BigInt64Array(n);
  const words = new Int32Array(data.buffer);
  let nulls: Uint8Array | undefined;
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const v = timeUs[i] as number;
    if (v !== v) {
      nulls ??= new Uint8Array((n + 7) >> 3).fill(0xff);
      nulls[i >> 3] = (nulls[i >> 3] as number) & ~(1 << (i & 7));
      nullCount++;
      continue;
    }
    const hi = Math.floor(v / 4294967296);
    words[2 * i] = v - hi * 4294967296;
    words[2 * i + 1] = hi;
  }
  return nulls ? { data, nullBitmap: nulls, nullCount } : { data, nullCount };
}

/**
 * Whether `b`'s first `n` values overlap `a` in memory. apache-arrow's IPC writer joins the body
 * chunks of one ArrayBuffer that touch or overlap into one range (collapseContiguousByteRanges),
 * so two columns over the same memory lose bytes (21.2.0: "Expected to read 160 bytes for message
 * body, but only read 88"); such a column is copied.
 */
function overlaps(a: ArrayBufferView | undefined, b: Float64Array, n: number): boolean {
  if (!a || a.buffer !== b.buffer) return false;
  const end = b.byteOffset + n * 8;
  return b.byteOffset < a.byteOffset + a.byteLength && a.byteOffset < end;
}

/** One Parquet file being written: `write` appends a row group, `finish` writes the footer. */
export class ParquetStream {
  readonly #file: FileHandle;
  readonly #schema: arrow.Schema;
  readonly #withSymbol: boolean;
  // Record batches waiting for the encoder to take them (at most one: write() waits for it).
  readonly #queue: pq.RecordBatch[] = [];
  // Set while the encoder waits for a batch: hands it the next one (or the end).
  #take: (() => void) | undefined;
  // Set while write() waits for the encoder to be done with its batch and ask for the next.
  #idle: (() => void) | undefined;
  #ended = false;
  #written = false;
  #pump: Promise<void> = Promise.resolve();
  #error: { e: unknown } | undefined;
  #dictionary: { size: number; data: arrow.Data<arrow.Utf8> } | undefined;

  private constructor(file: FileHandle, withSymbol: boolean) {
    this.#file = file;
    this.#withSymbol = withSymbol;
    this.#schema = schemaOf(withSymbol);
  }

  /**
   * A writer into `path`: an existing file (`create` false: a reserved temporary file, which must
   * not be made again if it was removed) or a new one.
   */
  static async open(path: string, opts: { withSymbol: boolean; keyValues: Record<string, string>; create: boolean }): Promise<ParquetStream> {
    const file = await open(path, opts.create ? 'wx' : 'r+');
    const s = new ParquetStream(file, opts.withSymbol);
    try {
      s.#start(properties(opts.keyValues));
    } catch (e) {
      await file.close();
      throw e;
    }
    return s;
  }

  #start(props: pq.WriterProperties): void {
    const input = new ReadableStream<pq.RecordBatch>(
      {
        pull: (c) =>
          new Promise<void>((resolve) => {
            const give = () => {
              this.#take = undefined;
              const next = this.#queue.shift();
              if (next) c.enqueue(next);
              else c.close();
              resolve();
            };
            if (this.#queue.length > 0 || this.#ended) give();
            else {
              // The encoder has written everything it was given and asks for more.
              this.#take = give;
              this.#idle?.();
            }
          }),
      },
      { highWaterMark: 0 },
    );
    this.#pump = (async () => {
      try {
        // Resolves once the first batch is there (the encoder takes the schema from it).
        const output = (await pq.transformParquetStream(input, props)) as ReadableStream<Uint8Array>;
        for await (const chunk of output) {
          for (let done = 0; done < chunk.length; ) done += (await this.#file.write(chunk, done)).bytesWritten;
        }
      } catch (e) {
        this.#error ??= { e };
        this.#idle?.();
      }
    })();
  }

  #check(): void {
    if (this.#error) throw this.#error.e;
  }

  /**
   * The rows as one row group; resolves once it is encoded and handed to the file (the arrays
   * may be reused then).
   */
  async write(g: RowGroup): Promise<void> {
    this.#check();
    this.#queue.push(this.#recordBatch(g));
    this.#written = true;
    await new Promise<void>((resolve) => {
      this.#idle = resolve;
      this.#take?.();
    });
    this.#idle = undefined;
    this.#check();
  }

  /** Writes the footer and closes the file. */
  async finish(): Promise<void> {
    // The encoder takes the schema from the first batch: a file without rows still gets one.
    if (!this.#written) await this.write({ rows: 0, timeUs: new Float64Array(0), lightgbm: new Float64Array(0), xgboost: new Float64Array(0), randomForest: new Float64Array(0), ensemble: new Float64Array(0), label: new Uint8Array(0), symbolIndex: new Uint32Array(0), symbols: [] });
    this.#ended = true;
    this.#take?.();
    await this.#pump;
    await this.#file.close();
    this.#check();
  }

  /** Stops without a footer; the caller removes the file. Never throws. */
  abort(): void {
    this.#error ??= { e: new Error('aborted') };
    this.#queue.length = 0;
    this.#ended = true;
    this.#take?.();
    void this.#pump.then(() => this.#file.close()).catch(() => undefined);
  }

  #recordBatch(g: RowGroup): pq.RecordBatch {
    const n = g.rows;
    const t = timestamps(g.timeUs, n);
    const children: arrow.Data[] = [];
    if (this.#withSymbol) {
      const codes = g.symbolIndex ?? new Uint32Array(n);
      const symbols = g.symbols ?? [];
      // The dictionary is the symbols seen so far; rebuilt only when a new one appeared.
      if (this.#dictionary?.size !== symbols.length) this.#dictionary = { size: symbols.length, data: arrow.vectorFromArray(symbols as string[], new arrow.Utf8()).data[0] as arrow.Data<arrow.Utf8> };
      children.push(arrow.makeData({ type: SYMBOL, length: n, data: new Int32Array(codes.buffer, codes.byteOffset, n), dictionary: arrow.makeVector(this.#dictionary.data) }));
    }
    children.push(arrow.makeData({ type: TIME, length: n, ...t }));
    let previous: ArrayBufferView | undefined;
    for (const p of [g.lightgbm, g.xgboost, g.randomForest, g.ensemble]) {
      const data = overlaps(previous, p, n) ? p.slice(0, n) : p.subarray(0, n);
      children.push(arrow.makeData({ type: DOUBLE, length: n, data }));
      previous = data;
    }
    children.push(arrow.makeData({ type: UINT8, length: n, data: g.label.subarray(0, n) }));
    const batch = new arrow.RecordBatch(this.#schema, arrow.makeData({ type: new arrow.Struct(this.#schema.fields), length: n, children, nullCount: 0 }));
    // Arrow's IPC stream is how record batches enter WebAssembly memory.
    const table = pq.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table([batch]), 'stream'));
    try {
      return table.recordBatch(0) as pq.RecordBatch;
    } finally {
      table.free();
    }
  }
}

/** A Parquet file at `path` (the caller reserved it), complete after finish(): one row group per batch. */
export async function parquetWriter(path: string, withSymbol: boolean, keyValues: Record<string, string>): Promise<BatchWriter> {
  const file = await ParquetStream.open(path, { withSymbol, keyValues, create: false });
  let busyMs = 0;
  return {
    get busyMs() {
      return busyMs;
    },
    async write(b) {
      const t0 = performance.now();
      await file.write(b);
      busyMs += performance.now() - t0;
    },
    finish: () => file.finish(),
    abort: () => file.abort(),
  };
}
