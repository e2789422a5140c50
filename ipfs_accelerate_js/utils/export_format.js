// export_format.js — benchmark result rows written and read exactly as the
// native side writes them:
//
//   formatCSV     = `ipfs-accelerate results --format csv` / ia_benchmark_export(…, "csv")
//                   (DuckDB's COPY … (FORMAT CSV, HEADER))
//   formatJSON    = `ipfs-accelerate results --format json` (ia_benchmark_query's
//                   array, printed by cJSON, and the CLI's newline)
//   formatNDJSON  = ia_benchmark_export(…, "json") (DuckDB's COPY … (FORMAT JSON):
//                   one object per line)
//
// Byte for byte, so a file from the browser and one from the CLI compare
// equal, and `ipfs-accelerate results --import` reads either. The number
// formats are the three printers': DuckDB's CSV prints a double's shortest
// round-trip digits in Python's repr style (1000.0, 1e+16, 1.5e-07), its
// JSON writer (yyjson) in JavaScript's style with ".0" on integers and no
// "+" in exponents (1000.0, 1e21, 1e-7), and cJSON prints %1.15g, or %1.17g
// when 15 digits do not give the double back within DBL_EPSILON.
//
// parseCSV/parseJSON read the same files back, every cell checked against
// its column's type, errors naming the line and the field (as the C
// import's, src/bench/import_rows.c).

/** The columns of an export, in order, with their DuckDB types (a result
 * joined with its run: src/bench/store_query.c ALL_COLUMNS). */
export const EXPORT_COLUMNS = Object.freeze([
  ['id', 'BIGINT'], ['run_id', 'BIGINT'], ['started_at', 'TIMESTAMP'], ['version', 'VARCHAR'],
  ['git_commit', 'VARCHAR'], ['threads', 'INTEGER'], ['model', 'VARCHAR'], ['backend', 'VARCHAR'],
  ['precision', 'VARCHAR'], ['batch', 'INTEGER'], ['seq_len', 'INTEGER'], ['iterations', 'INTEGER'],
  ['warmup', 'INTEGER'], ['latency_ms_mean', 'DOUBLE'], ['latency_ms_stddev', 'DOUBLE'],
  ['latency_ms_p50', 'DOUBLE'], ['latency_ms_p90', 'DOUBLE'], ['latency_ms_p99', 'DOUBLE'],
  ['items_per_s', 'DOUBLE'], ['tokens_per_s', 'DOUBLE'], ['rss_delta_bytes', 'DOUBLE'], ['model_bytes', 'DOUBLE'],
  ['energy_j', 'DOUBLE'], ['power_w', 'DOUBLE'], ['power_reason', 'VARCHAR'], ['skipped_reason', 'VARCHAR'],
  ['run_status', 'VARCHAR'], ['model_fingerprint', 'VARCHAR'], ['machine_id', 'VARCHAR'], ['kind', 'VARCHAR'],
  ['threads_used', 'INTEGER'], ['gen_tokens', 'INTEGER'], ['n_ctx', 'INTEGER'], ['prompt_tokens_per_s', 'DOUBLE'],
  ['prompt_tokens_per_s_stddev', 'DOUBLE'], ['gen_tokens_per_s', 'DOUBLE'], ['gen_tokens_per_s_stddev', 'DOUBLE'],
  ['ttft_ms', 'DOUBLE'], ['ttft_ms_stddev', 'DOUBLE'], ['kv_cache_bytes', 'DOUBLE'],
].map(([name, type]) => Object.freeze({ name, type })));

const TYPE_OF = new Map(EXPORT_COLUMNS.map((c) => [c.name, c.type]));

/** The DuckDB type of an export column, or undefined. */
export const columnType = (name) => TYPE_OF.get(name);

// ------------------------------------------------------------- numbers

// A finite double's shortest round-trip digits and decimal exponent:
// 1234.5 → {sign: '', digits: '12345', exp: 3}.
function shortest(v) {
  const [m, e] = Math.abs(v).toExponential().split('e');
  return { sign: v < 0 ? '-' : '', digits: m.replace('.', ''), exp: Number(e) };
}

// The digits placed at decimal exponent exp, as plain text: "1234.5", "0.00012", "1000".
function positional(digits, exp) {
  if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return frac ? `${int}.${frac}` : int;
}

/** A DOUBLE as DuckDB writes it in CSV (and casts it to text). */
export function duckdbDouble(v) {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const { sign, digits, exp } = shortest(v);
  if (exp >= -4 && exp <= 15) {
    const p = positional(digits, exp);
    return sign + (p.includes('.') ? p : `${p}.0`);
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** A DOUBLE as DuckDB's JSON writer (yyjson) writes it. */
export function yyjsonDouble(v) {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  const s = String(v).replace('e+', 'e'); // JavaScript's choice of notation is yyjson's
  return /[.e]/.test(s) ? s : `${s}.0`;
}

// A finite, non-zero |v|'s exact decimal expansion: every double is
// m * 2^e, which is m * 5^-e / 10^-e for e < 0. → {digits, exp} with the
// first digit at decimal exponent exp.
function exactDecimal(v) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const hi = view.getUint32(0), lo = view.getUint32(4);
  const biased = hi >>> 20;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e = biased - 1075; // subnormals: biased 0, exponent -1074, no implicit bit
  if (biased) m |= 1n << 52n;
  else e = -1074;
  if (e >= 0) {
    const digits = (m << BigInt(e)).toString();
    return { digits, exp: digits.length - 1 };
  }
  const digits = (m * 5n ** BigInt(-e)).toString();
  return { digits, exp: digits.length - 1 + e };
}

// C's printf("%.{prec}g", v) for a finite v, as glibc prints it: the exact
// value rounded to prec significant digits, a tie to even (JavaScript's
// toPrecision rounds a tie up: 877323150.634765625 at 17 digits is
// ...62 in C, ...63 there), then %g's choice of notation by the rounded
// exponent and trailing zeros removed.
function printfG(v, prec) {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  let { digits, exp } = exactDecimal(v);
  if (digits.length > prec) {
    const keep = digits.slice(0, prec), rest = digits.slice(prec);
    const half = rest[0] > '5' || (rest[0] === '5' && /[1-9]/.test(rest.slice(1)));
    const tie = rest[0] === '5' && !/[1-9]/.test(rest.slice(1));
    let k = BigInt(keep);
    if (half || (tie && k % 2n === 1n)) k += 1n;
    digits = k.toString();
    if (digits.length > prec) { digits = digits.slice(0, prec); exp++; } // 999.. rounded up to 1000..
  }
  digits = digits.replace(/0+$/, '') || '0';
  const sign = v < 0 ? '-' : '';
  if (exp < -4 || exp >= prec) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return sign + positional(digits, exp);
}

/** A number as cJSON prints it (third_party/cjson-src/cJSON.c print_number). */
export function cjsonNumber(v) {
  if (!Number.isFinite(v)) return 'null';
  const s = printfG(v, 15);
  const back = Number(s);
  // cJSON's compare_double: equal within DBL_EPSILON of the larger magnitude
  const close = Math.abs(back - v) <= Math.max(Math.abs(back), Math.abs(v)) * Number.EPSILON;
  return close ? s : printfG(v, 17);
}

// ------------------------------------------------------------- strings

const hex4 = (c, upper) => {
  const h = c.charCodeAt(0).toString(16).padStart(4, '0');
  return `\\u${upper ? h.toUpperCase() : h}`;
};
const SHORT_ESCAPES = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A string as cJSON prints it: short escapes, other controls as \u00xx (lower case). */
export const cjsonString = (s) => `"${s.replace(/["\\\u0000-\u001f]/g, (c) => SHORT_ESCAPES[c] ?? hex4(c, false))}"`;

/** A string as yyjson prints it: short escapes, other controls as \u00XX (upper case). */
export const yyjsonString = (s) => `"${s.replace(/["\\\u0000-\u001f]/g, (c) => SHORT_ESCAPES[c] ?? hex4(c, true))}"`;

/** A VARCHAR as DuckDB's CSV writer writes it: quoted when empty (NULL is
 * the empty unquoted field) or holding a newline, carriage return, '#',
 * the delimiter or the quote (duckdb CSVWriterOptions' requires_quotes). */
export function csvString(s) {
  return s === '' || /[\n\r#,"]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// ------------------------------------------------------------- writers

const isNull = (v) => v === null || v === undefined;

function checkNumber(v, col) {
  if (typeof v !== 'number') throw new TypeError(`${col.name}: ${JSON.stringify(v)} is not a number`);
  return v;
}

/** Rows (objects keyed by export column) as `results --format csv` prints them. */
export function formatCSV(rows) {
  let out = `${EXPORT_COLUMNS.map((c) => c.name).join(',')}\n`;
  for (const r of rows) {
    out += EXPORT_COLUMNS.map((c) => {
      const v = r[c.name];
      if (isNull(v)) return '';
      if (c.type === 'DOUBLE') return duckdbDouble(checkNumber(v, c));
      if (c.type === 'BIGINT' || c.type === 'INTEGER') return String(checkNumber(v, c));
      return csvString(String(v)); // TIMESTAMP text holds no character that needs quotes
    }).join(',');
    out += '\n';
  }
  return out;
}

/** Rows as `ipfs-accelerate results --format json` prints them (with its newline). */
export function formatJSON(rows) {
  const obj = (r) => `{${EXPORT_COLUMNS.map((c) => {
    const v = r[c.name];
    const text = isNull(v) ? 'null'
      : c.type === 'VARCHAR' || c.type === 'TIMESTAMP' ? cjsonString(String(v)) : cjsonNumber(checkNumber(v, c));
    return `${cjsonString(c.name)}:${text}`;
  }).join(',')}}`;
  return `[${rows.map(obj).join(',')}]\n`;
}

/** Rows as ia_benchmark_export(…, "json") writes them: one object per line. */
export function formatNDJSON(rows) {
  return rows.map((r) => `{${EXPORT_COLUMNS.map((c) => {
    const v = r[c.name];
    const text = isNull(v) ? 'null'
      : c.type === 'VARCHAR' || c.type === 'TIMESTAMP' ? yyjsonString(String(v))
        : c.type === 'DOUBLE' ? yyjsonDouble(checkNumber(v, c)) : String(checkNumber(v, c));
    return `"${c.name}":${text}`;
  }).join(',')}}\n`).join('');
}

// ------------------------------------------------------------- readers

/** A malformed file: names the source, line and (where known) field. */
export class ImportError extends Error {
  constructor(source, line, field, message) {
    super(`${source}: ${line ? `line ${line}` : ''}${field ? `, field ${field}` : ''}${line || field ? ': ' : ''}${message}`);
    this.name = 'ImportError';
    Object.assign(this, { source, line, field });
  }
}

const INT32 = 2 ** 31;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?$/;

/** Whether s is DuckDB's text form of a TIMESTAMP that is a real date. */
export function isTimestamp(s) {
  const m = TIMESTAMP.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number);
  const mdays = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] && h < 24 && mi < 60 && se < 60;
}

const shown = (s) => (s.length > 40 ? `${s.slice(0, 40)}...` : s);

// A text cell as its column's value (number or string), or what it should be.
function cellValue(type, s) {
  switch (type) {
    case 'BIGINT':
    case 'INTEGER': {
      if (!/^-?\d+$/.test(s)) return { want: 'an integer' };
      const v = Number(s);
      if (!Number.isSafeInteger(v)) return { want: 'an integer in range' };
      if (type === 'INTEGER' && (v < -INT32 || v >= INT32)) return { want: 'a 32-bit integer' };
      return { value: v };
    }
    case 'DOUBLE':
      if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return { value: Number(s) };
      if (/^[-+]?(inf|infinity)$/i.test(s)) return { value: s.startsWith('-') ? -Infinity : Infinity };
      if (/^[-+]?nan$/i.test(s)) return { value: NaN };
      return { want: 'a number' };
    case 'TIMESTAMP':
      return isTimestamp(s) ? { value: s } : { want: 'a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])' };
    default:
      return { value: s };
  }
}

function addColumn(columns, source, line, name) {
  if (!TYPE_OF.has(name)) throw new ImportError(source, line, null, `"${shown(name)}" is not a column of a results export`);
  if (columns.includes(name)) throw new ImportError(source, line, null, `column ${name} appears twice`);
  columns.push(name);
}

function checkRequired(columns, source) {
  for (const name of ['model', 'backend', 'precision'])
    if (!columns.includes(name))
      throw new ImportError(source, 0, null, `no ${name} column (an export of ipfs-accelerate results has one)`);
}

/**
 * Reads a CSV that `results --format csv` (DuckDB) wrote: header first, an
 * empty unquoted field is NULL, "" the empty string. → {columns, rows}
 * where each row is {column: value} plus its `line`. Throws ImportError.
 */
export function parseCSV(text, source = 'results.csv') {
  let i = text.startsWith('\ufeff') ? 1 : 0;
  let line = 1;
  const n = text.length;
  // One record's fields: [{text, quoted}], or null at the end of the text.
  const record = (names) => {
    if (i >= n) return null;
    const fields = [];
    for (;;) {
      const name = names ? names[fields.length] ?? "past the header's" : String(fields.length + 1);
      const start = line;
      let s = '';
      const quoted = text[i] === '"';
      if (quoted) {
        for (i++; ; i++) {
          if (i >= n) throw new ImportError(source, start, name, 'a quoted field that never ends');
          if (text[i] === '"') {
            if (text[i + 1] === '"') i++;
            else { i++; break; }
          } else if (text[i] === '\n') line++;
          s += text[i];
        }
      } else {
        for (; i < n && text[i] !== ',' && text[i] !== '\n'; i++) {
          if (text[i] === '"') throw new ImportError(source, line, name, 'a quote inside an unquoted field');
          if (text[i] === '\r') {
            if (text[i + 1] !== '\n') throw new ImportError(source, line, name, 'a carriage return inside an unquoted field');
            continue;
          }
          s += text[i];
        }
      }
      fields.push({ text: s, quoted });
      if (i >= n) return fields;
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
        i += text[i] === '\r' ? 2 : 1;
        line++;
        return fields;
      }
      throw new ImportError(source, line, name, 'text after a closing quote');
    }
  };
  if (i >= n) throw new ImportError(source, 0, null, 'empty file (a results CSV starts with its header)');
  const columns = [];
  for (const f of record(null)) addColumn(columns, source, 1, f.text);
  checkRequired(columns, source);
  const rows = [];
  for (;;) {
    const start = line;
    const fields = record(columns);
    if (!fields) break;
    if (fields.length !== columns.length)
      throw new ImportError(source, start, null, `${fields.length} fields, the header has ${columns.length}`);
    const row = { line: start, values: {} };
    fields.forEach((f, k) => {
      if (!f.quoted && f.text === '') { row.values[columns[k]] = null; return; }
      const { value, want } = cellValue(TYPE_OF.get(columns[k]), f.text);
      if (want) throw new ImportError(source, start, columns[k], `"${shown(f.text)}" is not ${want}`);
      row.values[columns[k]] = value;
    });
    rows.push(row);
  }
  return { columns, rows };
}

/**
 * Reads JSON rows: the array `results --format json` prints, or one object
 * per line (ia_benchmark_export's "json"). Every object has the first one's
 * keys. → {columns, rows} as parseCSV. Throws ImportError.
 */
export function parseJSON(text, source = 'results.json') {
  const columns = [];
  const rows = [];
  const take = (obj, line, first) => {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
      throw new ImportError(source, line, null, 'a row is not a JSON object');
    const row = { line, values: {} };
    for (const [k, v] of Object.entries(obj)) {
      if (first) addColumn(columns, source, line, k);
      else if (!columns.includes(k)) throw new ImportError(source, line, null, `field "${shown(k)}" is not in the first row`);
      if (v === null) { row.values[k] = null; continue; }
      const type = TYPE_OF.get(k);
      let want = null;
      if (type === 'BIGINT' || type === 'INTEGER') {
        if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 2 ** 53) want = 'an integer';
        else if (type === 'INTEGER' && (v < -INT32 || v >= INT32)) want = 'a 32-bit integer';
      } else if (type === 'DOUBLE') {
        if (typeof v !== 'number') want = 'a number';
      } else if (typeof v !== 'string') {
        want = 'a string';
      } else if (type === 'TIMESTAMP' && !isTimestamp(v)) {
        want = 'a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])';
      }
      if (want) throw new ImportError(source, line, k, `"${shown(typeof v === 'string' ? v : JSON.stringify(v))}" is not ${want}`);
      row.values[k] = v;
    }
    if (first) checkRequired(columns, source);
    else for (const c of columns) if (!(c in row.values)) throw new ImportError(source, line, null, `field ${c} is missing (the first row has it)`);
    rows.push(row);
  };
  const lineAt = (pos) => text.slice(0, pos).split('\n').length;
  const start = text.search(/\S/);
  if (start < 0) return { columns, rows }; // DuckDB's JSON export of no rows is an empty file
  if (text[start] === '[') {
    let arr;
    try { arr = JSON.parse(text); } catch (e) {
      const pos = /position (\d+)/.exec(e.message);
      throw new ImportError(source, pos ? lineAt(Number(pos[1])) : 0, null, 'not valid JSON');
    }
    if (!Array.isArray(arr)) throw new ImportError(source, 1, null, 'not a JSON array of rows');
    const lines = elementLines(text, arr.length);
    arr.forEach((obj, k) => take(obj, lines[k], k === 0));
  } else if (text[start] === '{') {
    text.split('\n').forEach((l, k) => {
      if (!l.trim()) return;
      let obj;
      try { obj = JSON.parse(l); } catch { throw new ImportError(source, k + 1, null, 'not valid JSON'); }
      take(obj, k + 1, rows.length === 0);
    });
  } else {
    throw new ImportError(source, lineAt(start), null, 'not JSON rows (an array, or one object per line)');
  }
  return { columns, rows };
}

// The lines the top-level array's elements start on (JSON.parse keeps no positions).
function elementLines(text, n) {
  const lines = [];
  let depth = 0, inStr = false, line = 1;
  for (let i = 0; i < text.length && lines.length < n; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (inStr) {
      if (ch === '\\') i++;
      else if (ch === '"') inStr = false;
    } else if (ch === '"') {
      inStr = true;
      if (depth === 1) lines.push(line);
    } else if (ch === '[' || ch === '{') {
      if (depth++ === 1) lines.push(line);
    } else if (ch === ']' || ch === '}') {
      depth--;
    } else if (depth === 1 && !/[,\s]/.test(ch)) {
      lines.push(line);
      while (i + 1 < text.length && !/[,\]\n]/.test(text[i + 1])) i++;
    }
  }
  return lines;
}
