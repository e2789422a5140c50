// utils.d.ts — types of ipfs_accelerate_js/utils/ (results store, export
// formats, visualizer).

export type ColumnType = 'BIGINT' | 'INTEGER' | 'DOUBLE' | 'VARCHAR' | 'TIMESTAMP';
export interface Column { readonly name: string; readonly type: ColumnType }

// ------------------------------------------------------------ export_format.js

/** A result joined with its run: the columns of `ipfs-accelerate results` exports, in order. */
export interface ResultRow {
  id: number; run_id: number;
  /** DuckDB's TIMESTAMP text, UTC: "2024-05-01 12:34:56.123456". */
  started_at: string;
  version: string | null; git_commit: string | null; threads: number | null;
  model: string; backend: string; precision: string;
  batch: number | null; seq_len: number | null; iterations: number | null; warmup: number | null;
  latency_ms_mean: number | null; latency_ms_stddev: number | null; latency_ms_p50: number | null;
  latency_ms_p90: number | null; latency_ms_p99: number | null;
  items_per_s: number | null; tokens_per_s: number | null; rss_delta_bytes: number | null; model_bytes: number | null;
  energy_j: number | null; power_w: number | null; power_reason: string | null; skipped_reason: string | null;
  run_status: 'running' | 'complete' | 'failed' | 'unknown' | null;
  model_fingerprint: string | null; machine_id: string | null;
  kind: 'embed' | 'generate';
  threads_used: number | null; gen_tokens: number | null; n_ctx: number | null;
  prompt_tokens_per_s: number | null; prompt_tokens_per_s_stddev: number | null;
  gen_tokens_per_s: number | null; gen_tokens_per_s_stddev: number | null;
  ttft_ms: number | null; ttft_ms_stddev: number | null; kv_cache_bytes: number | null;
}

export declare const EXPORT_COLUMNS: readonly Column[];
export declare function columnType(name: string): ColumnType | undefined;
/** = `ipfs-accelerate results --format csv` (DuckDB COPY … (FORMAT CSV, HEADER)). */
export declare function formatCSV(rows: Partial<ResultRow>[]): string;
/** = `ipfs-accelerate results --format json` (cJSON array and the newline). */
export declare function formatJSON(rows: Partial<ResultRow>[]): string;
/** = ia_benchmark_export(db, path, "json") (one object per line). */
export declare function formatNDJSON(rows: Partial<ResultRow>[]): string;
export declare function duckdbDouble(v: number): string;
export declare function yyjsonDouble(v: number): string;
export declare function cjsonNumber(v: number): string;
export declare function cjsonString(s: string): string;
export declare function yyjsonString(s: string): string;
export declare function csvString(s: string): string;
export declare function isTimestamp(s: string): boolean;

export interface ParsedRows {
  columns: string[];
  rows: Array<{ line: number; values: Record<string, string | number | null> }>;
}
export declare function parseCSV(text: string, source?: string): ParsedRows;
export declare function parseJSON(text: string, source?: string): ParsedRows;

/** A malformed file: "source: line N, field F: what is wrong". */
export declare class ImportError extends Error {
  source: string;
  line: number;
  field: string | null;
}

// ------------------------------------------------------------ results_store.js

export declare const SCHEMA_VERSION: 5;
export declare const TABLES: Readonly<{ runs: readonly Column[]; hardware: readonly Column[];
                                        results: readonly Column[]; iterations: readonly Column[] }>;
export declare function toTimestamp(date: Date): string;

export interface RunInput {
  started_at?: Date | string | number; startedAt?: Date | string | number;
  version?: string | null;
  git_commit?: string | null; gitCommit?: string | null;
  threads?: number | null;
  config?: object | string | null;
  status?: 'running' | 'complete' | 'failed' | 'unknown';
  /** The hardware table's report (e.g. detectCapabilities()). */
  hardware?: object | string | null;
}

/** Any results column (snake_case or camelCase); NaN = not measured (stored null). */
export type ResultInput = Partial<Omit<ResultRow, 'id' | 'run_id' | 'started_at' | 'version' | 'git_commit' |
                                       'threads' | 'run_status'>> & {
  model: string; backend: string; precision: string;
  /** Per-iteration latencies in ms (the iterations table). */
  iteration_ms?: number[]; iterationMs?: number[];
  [camelCase: string]: unknown;
};

export interface ResultFilter {
  model?: string | string[];
  backend?: string | string[];
  kind?: 'embed' | 'generate' | Array<'embed' | 'generate'>;
  runId?: number | number[];
}

export declare class ResultsStore {
  readonly name: string;
  readonly storage: 'indexeddb' | 'memory' | 'file';
  add(run?: RunInput, results?: ResultInput[]): Promise<{ runId: number; resultIds: number[] }>;
  query(filter?: ResultFilter): Promise<ResultRow[]>;
  runs(): Promise<Array<{ id: number; started_at: string; version: string | null; git_commit: string | null;
                          threads: number | null; config: string | null; status: string | null }>>;
  hardware(runId: number): Promise<string | null>;
  iterations(resultId: number): Promise<Array<{ result_id: number; iteration: number; latency_ms: number | null }>>;
  toCSV(filter?: ResultFilter): Promise<string>;
  toJSON(filter?: ResultFilter): Promise<string>;
  toNDJSON(filter?: ResultFilter): Promise<string>;
  import(text: string, options?: { format?: 'csv' | 'json'; source?: string }): Promise<{ runIds: number[]; resultIds: number[] }>;
  importCSV(text: string, options?: { source?: string }): Promise<{ runIds: number[]; resultIds: number[] }>;
  importJSON(text: string, options?: { source?: string }): Promise<{ runIds: number[]; resultIds: number[] }>;
  /** Removes every row; ids are never reused. */
  clear(): Promise<void>;
  close(): void;
}

export declare function openResultsStore(options?: {
  name?: string;
  storage?: 'auto' | 'indexeddb' | 'memory' | 'file';
  /** Node: a JSON file the store is loaded from and saved to. */
  file?: string | null;
  indexedDB?: IDBFactory;
}): Promise<ResultsStore>;

// ------------------------------------------------------------ visualizer.js

export type ChartId = 'latency' | 'percentiles' | 'throughput' | 'llm_prompt' | 'llm_gen' | 'llm_ttft';
export declare const CHARTS: readonly ChartId[];
export declare function niceMax(v: number): number;

export interface MetricOption { color?: string; label?: string }
export interface VisualizerOptions {
  /** A DOM element to draw into now (browsers), or null. */
  container?: Element | null;
  results?: Partial<ResultRow>[];
  metricOptions?: Partial<Record<'latency' | 'throughput' | 'promptThroughput' | 'generationThroughput' | 'ttft',
                                 MetricOption>>;
}

export declare class Visualizer {
  constructor(options?: VisualizerOptions);
  container: Element | null;
  readonly charts: ChartId[];
  /** One chart's SVG text, or every chart's (one per line). */
  renderSVG(id?: ChartId): string;
  /** Draws the charts into the container as SVG elements (browsers). */
  render(container?: Element): SVGSVGElement[];
  update(results: Partial<ResultRow>[]): void;
}

export declare function createVisualizer(options?: VisualizerOptions): Visualizer;
