//! The rows of a wide table whose text holds no quote, read in parallel
//! batches: what [`Rows::record`] stores for them, without a `csv` record
//! per row.
//!
//! Why a reader of its own: through the `csv` crate (a `ByteRecord` per row,
//! a UTF-8 check and a store with every check per cell, one cell after the
//! other) loading the national workload (10,000 units × 100 criteria, a
//! 6.8 MB table of 266 columns) took 230 ms where it had taken 23 ms, and
//! 100,000 units took 3.0 s for the whole `score` process; see the README's
//! performance section for the figures with this reader.
//!
//! It reads only text that has one reading: no `"` anywhere, and every `\r`
//! just before a `\n`. Lines and fields are split with `memchr`, and lines
//! are skipped as [`for_each_record`] skips them (blank, `#`, spaces only).
//! A row is *plain* when its unit is found, it has the header's width, every
//! cell of a declared column holds 1 to 9 digits, no rate is above 100, no
//! cell is of an indicator that does not apply to the unit's kind (a
//! warning), and no row before it named its unit. A plain row has nothing to
//! report, so plain rows are stored a batch at a time, a few columns per
//! task in parallel. Every other row is read afterwards by [`Rows::record`], in file
//! order, from a `csv` record of its line: rows of one unit are therefore
//! stored in file order (its first row is plain or none is), and the
//! diagnostics are those of the `csv` path, in its order.

use rayon::prelude::*;

use super::rows::{Env, Rows};
use super::store::{line_u32, Bits, Column};
use super::IndicatorData;
use crate::diag::Diagnostics;
use crate::input::csvread::{for_each_record, read_line_record, Record};

/// Bytes of text read per batch; the batch's cells take about half as much
/// again. A batch of 1 MB keeps them in memory the allocator has just
/// freed: loading the national workload 12 times took 7,150 page faults
/// with it and 13,200 with batches of 16 MB.
#[cfg(not(test))]
const BATCH: usize = 1 << 20;
/// A few lines per batch, so that the tests read tables batch after batch.
#[cfg(test)]
const BATCH: usize = 40;

/// The longest cell stored directly: 9 digits fit a `u32`.
const DIGITS: usize = 9;

/// Whether `b` (whole lines, decoded) has one reading: no `"`, and every
/// `\r` just before a `\n`.
fn has_one_reading(b: &[u8]) -> bool {
    memchr::memchr(b'"', b).is_none() && memchr::memchr_iter(b'\r', b).count() == memchr::memmem::find_iter(b, b"\r\n").count()
}

/// Reads the rows of the table in `env` (its whole text) when the text has
/// one reading (see the module's doc); `false`, having read nothing, when not.
pub(super) fn read(env: &Env, rows: &mut Rows, data: &mut IndicatorData, diags: &mut Diagnostics) -> bool {
    let text = env.tc.text;
    if !has_one_reading(text.as_bytes()) {
        return false;
    }
    let Some(header) = Header::find(env, rows, text) else { return false };
    let Some(mut reader) = Reader::start(env, rows, text, header, data, diags) else { return true };
    let mut pos = header.end.saturating_add(1).min(text.len());
    while pos < text.len() {
        let end =
            if text.len() - pos <= BATCH { text.len() } else { (line_end(text.as_bytes(), pos + BATCH, text.len()) + 1).min(text.len()) };
        reader.batch(env, &text[pos..end], data);
        pos = end;
    }
    reader.finish(env, rows, data, diags);
    true
}

/// Reads the rows of the table in `env` from its UTF-8 file at `path`, a
/// batch of lines at a time, so that a national table is never held whole.
/// `false`, having read nothing (the table as it was before), when some
/// batch has not one reading, is not UTF-8 or holds a byte order mark, or
/// the file cannot be read: the caller then reads the file whole, which
/// reports what there is to report.
pub(super) fn read_file<'e>(
    env: &Env<'e, '_, '_, '_>,
    rows: &mut Rows<'e>,
    path: &std::path::Path,
    data: &mut IndicatorData,
    diags: &mut Diagnostics,
) -> bool {
    let diags_before = diags.0.len();
    match stream(env, rows, path, data, diags) {
        Some(()) => true,
        None => {
            // Back to the table as it was: its columns, rows and diagnostics.
            let (units, index) = (env.units.units.len(), env.tc.index);
            for col in &mut data.columns[env.tc.first..env.tc.first + env.indicators.len()] {
                *col = Column::new(index, units, false);
            }
            data.stores[index].row_lines = vec![0; units];
            diags.0.truncate(diags_before);
            *rows = Rows::new(env.indicators);
            false
        }
    }
}

/// A file this large or larger is read ahead on a thread of its own
/// while its batches are read. Read between batches, by the thread that
/// hands them out, it took about a quarter of that thread's time while a
/// table of 100,000 units was read, in a profile, and the processors
/// splitting the rows waited for it (a million units' `score`: 0.94× the
/// time with it, three alternated runs). Not below 32 MB: the 6.8 MB
/// table of 10,000 units took 1.07× the time read ahead (medians of 40
/// alternated runs), its reading thread competing with those splitting.
#[cfg(not(test))]
const READ_AHEAD: usize = 32 * BATCH;
/// Tables of a few batches read ahead in the tests.
#[cfg(test)]
const READ_AHEAD: usize = 4 * BATCH;

fn stream(env: &Env, rows: &mut Rows, path: &std::path::Path, data: &mut IndicatorData, diags: &mut Diagnostics) -> Option<()> {
    let file = std::fs::File::open(path).ok()?;
    let size = file.metadata().map_or(BATCH, |m| usize::try_from(m.len()).unwrap_or(BATCH));
    if size < READ_AHEAD {
        return stream_from(env, rows, size, &mut Direct(file), data, diags);
    }
    std::thread::scope(|scope| {
        // Two pieces in flight, their buffers handed back to be read into again.
        let (give, take) = std::sync::mpsc::sync_channel::<Option<Vec<u8>>>(2);
        let (back, spent) = std::sync::mpsc::channel::<Vec<u8>>();
        scope.spawn(move || {
            use std::io::Read;
            let mut file = file;
            loop {
                let mut piece = spent.try_recv().unwrap_or_else(|_| Vec::with_capacity(BATCH));
                piece.clear();
                let read = (&mut file).take(BATCH as u64).read_to_end(&mut piece);
                let end = !matches!(read, Ok(n) if n > 0);
                if give.send(read.is_ok().then_some(piece)).is_err() || end {
                    break;
                }
            }
        });
        stream_from(env, rows, size, &mut Ahead { take, back }, data, diags)
    })
}

/// Where a streamed table's bytes come from.
trait Bytes {
    /// Appends about `want` more bytes to `buf`; how many (0 at the end),
    /// `None` when the file could not be read.
    fn more(&mut self, buf: &mut Vec<u8>, want: usize) -> Option<usize>;
}

/// From the file, by the reading thread.
struct Direct(std::fs::File);

impl Bytes for Direct {
    fn more(&mut self, buf: &mut Vec<u8>, want: usize) -> Option<usize> {
        use std::io::Read;
        // Read into the spare room, which is not zeroed first.
        (&mut self.0).take(want as u64).read_to_end(buf).ok()
    }
}

/// From a thread reading ahead.
struct Ahead {
    take: std::sync::mpsc::Receiver<Option<Vec<u8>>>,
    back: std::sync::mpsc::Sender<Vec<u8>>,
}

impl Bytes for Ahead {
    fn more(&mut self, buf: &mut Vec<u8>, _want: usize) -> Option<usize> {
        // No piece: the reading thread ended after the last.
        let Ok(piece) = self.take.recv() else { return Some(0) };
        let piece = piece?;
        buf.extend_from_slice(&piece);
        let n = piece.len();
        let _ = self.back.send(piece);
        Some(n)
    }
}

fn stream_from(
    env: &Env,
    rows: &mut Rows,
    size: usize,
    file: &mut impl Bytes,
    data: &mut IndicatorData,
    diags: &mut Diagnostics,
) -> Option<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(BATCH.min(size) + (1 << 16));
    let mut reader: Option<Reader> = None;
    let mut first = true;
    loop {
        // Whole lines of about BATCH bytes, the rest kept for the next batch.
        let cut_after = |buf: &[u8]| {
            let from = BATCH.min(buf.len()).saturating_sub(1);
            memchr::memchr(b'\n', &buf[from..]).map(|i| from + i + 1)
        };
        let mut eof = false;
        let cut = loop {
            if buf.len() >= BATCH {
                if let Some(cut) = cut_after(&buf) {
                    break cut;
                }
            }
            let want = (1 << 20).max(BATCH.saturating_sub(buf.len()));
            let n = file.more(&mut buf, want)?;
            if n == 0 {
                eof = true;
                break cut_after(&buf).unwrap_or(buf.len());
            }
        };
        let skip = if first && buf.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        let text = std::str::from_utf8(&buf[skip..cut]).ok()?;
        if !has_one_reading(text.as_bytes()) || memchr::memmem::find(text.as_bytes(), "\u{feff}".as_bytes()).is_some() {
            return None;
        }
        match &mut reader {
            Some(r) => r.batch(env, text, data),
            None => {
                let header = Header::find(env, rows, text)?;
                let Some(mut r) = Reader::start(env, rows, text, header, data, diags) else { return Some(()) };
                let from = header.end.saturating_add(1).min(text.len());
                r.batch(env, &text[from..], data);
                reader = Some(r);
            }
        }
        first = false;
        buf.drain(..cut);
        if eof && buf.is_empty() {
            break;
        }
    }
    if let Some(r) = reader {
        r.finish(env, rows, data, diags);
    }
    Some(())
}

/// Where the header is in the first text read, found before anything is read.
#[derive(Clone, Copy)]
struct Header {
    /// Where the header line ends (its `\n`) in that text.
    end: usize,
    /// Its 1-based line.
    line: usize,
}

impl Header {
    /// The first line not skipped; `None` when there is none, or when a
    /// declared indicator is named by two columns (its second cells are
    /// duplicates, for the `csv` path).
    fn find(env: &Env, rows: &Rows, text: &str) -> Option<Header> {
        let b = text.as_bytes();
        let (mut pos, mut line) = (0, 1);
        let end = loop {
            if pos >= b.len() {
                return None;
            }
            let end = line_end(b, pos, b.len());
            if !skipped(strip_cr(&b[pos..end]), env.tc.sep) {
                break end;
            }
            (pos, line) = (end + 1, line + 1);
        };
        let mut named = vec![false; env.indicators.len()];
        for id in text[pos..end].trim_end_matches('\r').split(char::from(env.tc.sep)).skip(1) {
            if let Some(k) = rows.indicator(id.trim()) {
                if std::mem::replace(&mut named[k], true) {
                    return None;
                }
            }
        }
        Some(Header { end, line })
    }
}

/// The rows read so far, batch after batch of whole lines.
struct Reader {
    plan: Plan,
    /// Per local indicator: a column of the header names it.
    named: Vec<bool>,
    /// The units some row named.
    seen: Bits,
    /// The rows that are not plain: their lines and texts, read at the end.
    others: Vec<(usize, String)>,
    /// The line the next batch starts on.
    line: usize,
}

impl Reader {
    /// Reads the header (`text` holds it); `None` when the table has no header the rows can be read by.
    fn start(env: &Env, rows: &mut Rows, text: &str, header: Header, data: &mut IndicatorData, diags: &mut Diagnostics) -> Option<Reader> {
        let sep = env.tc.sep;
        if let Err(d) = for_each_record(&text[..header.end], sep, env.tc.file, |r| rows.record(env, text, data, r, diags)) {
            diags.push(d);
            return None;
        }
        let (width, columns) = rows.header.clone()?;
        let checks = &env.tc.checks;
        let mut named = vec![false; env.indicators.len()];
        columns.iter().flatten().for_each(|&k| named[k] = true);
        let plan = Plan {
            sep,
            width,
            rate: columns.iter().map(|c| c.is_some_and(|k| checks[k].rate)).collect(),
            warns: (0..env.units.kinds.len())
                .map(|kind| columns.iter().flatten().any(|&k| !checks[k].applies[kind] && !env.indicators[k].applies_to.is_empty()))
                .collect(),
            columns,
            n: env.indicators.len(),
        };
        Some(Reader { plan, named, seen: Bits::new(env.units.units.len()), others: Vec::new(), line: header.line + 1 })
    }

    /// Reads `text`, whole lines, starting on line `self.line`.
    fn batch(&mut self, env: &Env, text: &str, data: &mut IndicatorData) {
        let plan = &self.plan;
        let b = text.as_bytes();
        // A text of one piece is read here: the pool is not started for it.
        let mut read: Vec<Piece> = if b.len() <= PIECE {
            vec![piece(env, plan, text, 0, b.len())]
        } else {
            crate::input::par::unpinned(|| {
                let pieces_per_batch = 4 * rayon::current_num_threads().max(1);
                pieces(b, 0, b.len(), pieces_per_batch).into_par_iter().map(|(a, z)| piece(env, plan, text, a, z)).collect()
            })
        };
        // In file order: each row's line, and whether an earlier row named its unit.
        for p in &mut read {
            for row in &mut p.rows {
                let at = self.line + row.line as usize;
                if let Some(u) = row.unit {
                    let u = u as usize;
                    if self.seen.get(u) {
                        row.plain = false;
                    }
                    self.seen.set(u);
                    if row.plain {
                        data.stores[env.tc.index].row_lines[u] = line_u32(at);
                        p.units.push((row.cell, u as u32));
                    }
                }
                if !row.plain {
                    self.others.push((at, text[row.start..row.end].to_owned()));
                }
            }
            self.line += p.lines;
            p.present = present(&p.units);
        }
        store(&mut data.columns[env.tc.first..env.tc.first + plan.n], &self.named, &read);
    }

    /// Reads the rows that are not plain, in file order, as the `csv` path reads them.
    fn finish(self, env: &Env, rows: &mut Rows, data: &mut IndicatorData, diags: &mut Diagnostics) {
        let mut fields = csv::ByteRecord::new();
        for (line, text) in self.others {
            if read_line_record(text.as_bytes(), env.tc.sep, &mut fields) {
                rows.record(env, &text, data, &Record { line, start: 0, fields: &fields }, diags);
            }
        }
    }
}

/// What reading a row of the table needs, once per table.
struct Plan {
    sep: u8,
    /// The header's width.
    width: usize,
    /// Per header column after the unit's: its local indicator.
    columns: Vec<Option<usize>>,
    /// Per header column after the unit's: a rate (0–100).
    rate: Vec<bool>,
    /// Per kind: some column is of an indicator that does not apply to it.
    warns: Vec<bool>,
    /// The table's indicators.
    n: usize,
}

/// One row of a piece.
struct Row {
    /// Lines before it in its piece.
    line: u32,
    /// Its bytes in the text, line break excluded.
    start: usize,
    end: usize,
    unit: Option<u32>,
    plain: bool,
    /// A plain row's place among the piece's plain rows.
    cell: u32,
}

/// The rows of a run of whole lines, and the cells of its plain rows.
struct Piece {
    /// Where its text ends.
    end: usize,
    rows: Vec<Row>,
    /// The plain rows still plain once the rows before the piece are known:
    /// each one's place among the plain rows, and its unit.
    units: Vec<(u32, u32)>,
    /// Those units as the words of a bit set from a word on, when they are
    /// closer together than one word per unit.
    present: Option<(usize, Vec<u64>)>,
    /// The plain rows' cells, row after row, by local indicator: stored
    /// from here, a few columns per task, they are copied once.
    cells: Vec<u32>,
    /// Per local indicator: the largest of its cells in `cells`.
    max: Vec<u32>,
    /// Plain rows so far.
    plain: u32,
    /// Line breaks in the piece.
    lines: usize,
}

/// Reads the lines of `text[a..z]`, which start at a line.
fn piece(env: &Env, plan: &Plan, text: &str, a: usize, z: usize) -> Piece {
    let b = text.as_bytes();
    let mut p =
        Piece { end: z, rows: Vec::new(), units: Vec::new(), present: None, cells: Vec::new(), max: vec![0; plan.n], plain: 0, lines: 0 };
    let mut scratch = Scratch { cells: vec![0; plan.columns.len() + 1] };
    let mut pos = a;
    while pos < z {
        let end = line_end(b, pos, z);
        let content = strip_cr(&b[pos..end]);
        if !skipped(content, plan.sep) {
            let line = u32::try_from(p.lines).unwrap_or(u32::MAX);
            p.row(env, plan, text, (pos, pos + content.len()), line, &mut scratch);
        }
        if end < z {
            p.lines += 1;
        }
        pos = end + 1;
    }
    p
}

impl Piece {
    fn row(&mut self, env: &Env, plan: &Plan, text: &str, (start, end): (usize, usize), line: u32, scratch: &mut Scratch) {
        let sep = plan.sep;
        let b = &text.as_bytes()[start..end];
        let unit_end = memchr::memchr(sep, b).unwrap_or(b.len());
        let unit = env.matcher.find(&text[start..start + unit_end]).and_then(|u| u32::try_from(u).ok());
        let cell = self.plain;
        let mut plain = false;
        if unit.is_some_and(|u| !plan.warns[env.units.kind_of[u as usize]]) {
            if self.plain == 0 {
                // Room for as many more rows as long as this one.
                self.cells.reserve(((self.end - start) / (end - start + 1) + 1) * plan.n);
            }
            // The row's cells go straight to the end of `cells`, and are
            // taken off again when the row is not plain.
            let at = self.cells.len();
            self.cells.resize(at + plan.n, 0);
            plain = cells_of(plan, &b[unit_end..], scratch, &mut self.cells[at..]);
            if plain {
                self.max.iter_mut().zip(&self.cells[at..]).for_each(|(m, &x)| *m = (*m).max(x));
                self.plain += 1;
            } else {
                self.cells.truncate(at);
            }
        }
        self.rows.push(Row { line, start, end, unit, plain, cell });
    }
}

/// What reading a row's cells works in, made once per piece: per header
/// column after the unit's, and one past them for the cells beyond the
/// header's width, its cell's value in the low 32 bits, summed as its
/// digits go by (wrapping; only cells of 1 to 9 digits are used), and its
/// bytes above them, bit 63 set when one is not a digit.
struct Scratch {
    cells: Vec<u64>,
}

/// Reads the cells of a row (`rest`: from the separator after its unit)
/// into `row` by local indicator; whether all are plain and they are
/// the header's width.
///
/// One pass over the bytes: each byte updates the cell being read, a
/// separator stores it and moves on to the next, and the cells are checked
/// afterwards, in a second loop without a branch per byte.
fn cells_of(plan: &Plan, rest: &[u8], scratch: &mut Scratch, row: &mut [u32]) -> bool {
    let Some(bytes) = rest.get(1..) else {
        return plan.width == 1;
    };
    let last = plan.columns.len();
    let cells = &mut scratch.cells[..=last];
    cells[0] = 0;
    // The cell being read: its value in the low 32 bits, its bytes above.
    let (mut i, mut cell, mut seps) = (0usize, 0u64, 0usize);
    for &c in bytes {
        if c == plan.sep {
            cells[i] = cell;
            seps += 1;
            i = (i + 1).min(last);
            cell = 0;
        } else {
            let d = c.wrapping_sub(b'0');
            let (value, digits) = (cell as u32, (cell >> 32) as u32);
            cell = u64::from(value.wrapping_mul(10).wrapping_add(u32::from(d)))
                | u64::from(digits.wrapping_add(1) | (u32::from(d > 9) << 31)) << 32;
        }
    }
    cells[i] = cell;
    if seps + 2 != plan.width {
        return false;
    }
    let mut plain = true;
    for (i, column) in plan.columns.iter().enumerate() {
        if let Some(k) = *column {
            let (value, digits) = (cells[i] as u32, (cells[i] >> 32) as u32);
            plain &= (1..=DIGITS as u32).contains(&digits) && !(plan.rate[i] && value > 100);
            row[k] = value;
        }
    }
    plain
}

/// Local indicators stored by one task: the plain rows of a piece hold
/// them in one or two cache lines per row, read once for all of them.
const COLUMNS_PER_TASK: usize = 16;

/// Stores the plain rows of one batch, a few columns per task in parallel
/// (here when the batch is one piece: a province's table is stored before
/// the pool's threads would have woken).
fn store(columns: &mut [Column], named: &[bool], read: &[Piece]) {
    let n = columns.len();
    let task = |(chunk, cols): (usize, &mut [Column])| {
        let first = chunk * COLUMNS_PER_TASK;
        for p in read {
            for (k, col) in (first..).zip(cols.iter_mut()).filter(|(k, _)| named[*k]) {
                let Column { values, present, .. } = col;
                let cells = p.units.iter().map(|&(cell, u)| (u as usize, p.cells[cell as usize * n + k]));
                match &p.present {
                    Some((first, words)) => {
                        present.or_words(*first, words);
                        values.set_batch(p.max[k], cells);
                    }
                    None => values.set_batch(p.max[k], cells.inspect(|&(u, _)| present.set(u))),
                }
            }
        }
    };
    if read.len() <= 1 {
        columns.chunks_mut(COLUMNS_PER_TASK).enumerate().for_each(task);
    } else {
        crate::input::par::unpinned(|| columns.par_chunks_mut(COLUMNS_PER_TASK).enumerate().for_each(task));
    }
}

/// The units of a piece's plain rows as the words of a bit set from its
/// first word on; `None` when that takes more words than there are units.
fn present(units: &[(u32, u32)]) -> Option<(usize, Vec<u64>)> {
    let lo = units.iter().map(|&(_, u)| u as usize).min()?;
    let hi = units.iter().map(|&(_, u)| u as usize).max()?;
    let (first, len) = (lo / 64, hi / 64 - lo / 64 + 1);
    if len > units.len() {
        return None;
    }
    let mut words = vec![0u64; len];
    for &(_, u) in units {
        words[u as usize / 64 - first] |= 1 << (u % 64);
    }
    Some((first, words))
}

/// Where the line at `pos` ends (its `\n`, or `z`).
fn line_end(b: &[u8], pos: usize, z: usize) -> usize {
    memchr::memchr(b'\n', &b[pos.min(z)..z]).map_or(z, |n| pos + n)
}

/// The smallest piece of a batch read by one task: 64 KiB.
const PIECE: usize = 1 << 16;

/// Splits `[a, z)` into about `n` runs of whole lines.
fn pieces(b: &[u8], a: usize, z: usize, n: usize) -> Vec<(usize, usize)> {
    let size = ((z - a) / n).max(PIECE);
    let mut out = Vec::with_capacity(n + 1);
    let mut from = a;
    while from < z {
        let to = if z - from <= size { z } else { (line_end(b, from + size, z) + 1).min(z) };
        out.push((from, to));
        from = to;
    }
    out
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A line [`for_each_record`] skips: blank, a comment, or spaces only.
fn skipped(line: &[u8], sep: u8) -> bool {
    let first = memchr::memchr(sep, line).map_or(line, |n| &line[..n]);
    line.is_empty()
        || line[0] == b'#'
        || first.trim_ascii_start().starts_with(b"#")
        || (first.len() == line.len() && line.trim_ascii().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_skipped_as_the_csv_path_skips_them() {
        for (line, want) in [
            (&b""[..], true),
            (b"# note", true),
            (b"  # note,1", true),
            (b"   ", true),
            (b" , ", false),
            (b"u1,2", false),
            (b"u1#,2", false),
        ] {
            assert_eq!(skipped(line, b','), want, "{:?}", String::from_utf8_lossy(line));
        }
        // A tab separator: the unit's field is empty, the row is read.
        assert!(!skipped(b"\t#x", b'\t'));
    }

    #[test]
    fn cells_of_one_to_nine_digits_in_the_header_width() {
        // unit,n,(undeclared),r with r a rate.
        let columns = [Some(0), None, Some(1)];
        let plan = Plan { sep: b',', width: 4, columns: columns.to_vec(), rate: vec![false, false, true], warns: vec![false], n: 2 };
        let mut scratch = Scratch { cells: vec![0; 4] };
        let mut row = [0; 2];
        assert!(cells_of(&plan, b",0,any thing,100", &mut scratch, &mut row));
        assert_eq!(row, [0, 100]);
        assert!(cells_of(&plan, b",999999999,,7", &mut scratch, &mut row));
        assert_eq!(row, [999_999_999, 7]);
        for no in [&b",1234567890,,1"[..], b",,,1", b", 1,,1", b",1.5,,1", b",-1,,1", b",1,,101", b",1,,1,", b",1,,", b",1,1", b""] {
            assert!(!cells_of(&plan, no, &mut scratch, &mut row), "{}", String::from_utf8_lossy(no));
        }
    }

    #[test]
    fn pieces_end_at_lines() {
        let text = "a\n".repeat(100_000);
        let b = text.as_bytes();
        let got = pieces(b, 0, b.len(), 3);
        assert_eq!(got.first().map(|p| p.0), Some(0));
        assert_eq!(got.last().map(|p| p.1), Some(b.len()));
        for w in got.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert_eq!(b[w[0].1 - 1], b'\n');
        }
    }
}
