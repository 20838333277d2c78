//! Building Arrow record batches row by row, with column order and types taken from a
//! [`Table`] definition, so a table's writer cannot drift from its schema.
//!
//! Rows are appended through a [`Row`] cursor that walks the columns in order; appending a value
//! of the wrong type, or too few values, is a bug and panics with the column's name (every table
//! has a test that builds rows). `finish` hands the builders' buffers to the batch, so each
//! batch grows its own (about one copy of the data in reallocations, a percent of a scan).

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Float32Builder, Float64Builder, Int32Builder, Int64Builder,
    ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, Schema};

use super::schema::{ColType, Table};

enum ColumnBuilder {
    Utf8(StringBuilder),
    Bool(BooleanBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float32(Float32Builder),
    Float64(Float64Builder),
    TimestampUs(TimestampMicrosecondBuilder),
    ListUtf8(ListBuilder<StringBuilder>),
}

impl ColumnBuilder {
    fn new(ty: ColType) -> ColumnBuilder {
        match ty {
            ColType::Utf8 => ColumnBuilder::Utf8(StringBuilder::new()),
            ColType::Bool => ColumnBuilder::Bool(BooleanBuilder::new()),
            ColType::Int32 => ColumnBuilder::Int32(Int32Builder::new()),
            ColType::Int64 => ColumnBuilder::Int64(Int64Builder::new()),
            ColType::Float32 => ColumnBuilder::Float32(Float32Builder::new()),
            ColType::Float64 => ColumnBuilder::Float64(Float64Builder::new()),
            ColType::TimestampUs => {
                ColumnBuilder::TimestampUs(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
            ColType::ListUtf8 => ColumnBuilder::ListUtf8(ListBuilder::new(StringBuilder::new())),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Utf8(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Int32(b) => Arc::new(b.finish()),
            ColumnBuilder::Int64(b) => Arc::new(b.finish()),
            ColumnBuilder::Float32(b) => Arc::new(b.finish()),
            ColumnBuilder::Float64(b) => Arc::new(b.finish()),
            ColumnBuilder::TimestampUs(b) => Arc::new(b.finish()),
            ColumnBuilder::ListUtf8(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            ColumnBuilder::Utf8(b) => b.len(),
            ColumnBuilder::Bool(b) => b.len(),
            ColumnBuilder::Int32(b) => b.len(),
            ColumnBuilder::Int64(b) => b.len(),
            ColumnBuilder::Float32(b) => b.len(),
            ColumnBuilder::Float64(b) => b.len(),
            ColumnBuilder::TimestampUs(b) => b.len(),
            ColumnBuilder::ListUtf8(b) => b.len(),
        }
    }
}

/// Accumulates rows of one table.
pub struct BatchBuilder {
    table: &'static Table,
    schema: Arc<Schema>,
    columns: Vec<ColumnBuilder>,
    rows: usize,
    /// Approximate bytes of string data appended since the last `finish`.
    bytes: usize,
}

impl BatchBuilder {
    /// Empty builders for `table`.
    pub fn new(table: &'static Table) -> BatchBuilder {
        BatchBuilder {
            table,
            schema: table.arrow_schema(),
            columns: table
                .columns
                .iter()
                .map(|c| ColumnBuilder::new(c.ty))
                .collect(),
            rows: 0,
            bytes: 0,
        }
    }

    /// Starts a row; every column must then be given a value, in order.
    pub fn row(&mut self) -> Row<'_> {
        self.rows += 1;
        Row {
            builder: self,
            next: 0,
        }
    }

    /// Rows appended since the last `finish`.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was appended since the last `finish`.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Approximate size of the pending rows in bytes (strings plus 8 bytes per value).
    pub fn approx_bytes(&self) -> usize {
        self.bytes + self.rows * self.columns.len() * 8
    }

    /// Takes the pending rows as a record batch, checked against the schema.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(ColumnBuilder::finish).collect();
        self.rows = 0;
        self.bytes = 0;
        RecordBatch::try_new(self.schema.clone(), arrays)
    }

    /// The table these rows belong to.
    pub fn table(&self) -> &'static Table {
        self.table
    }
}

/// A cursor over the columns of one row being appended.
pub struct Row<'a> {
    builder: &'a mut BatchBuilder,
    next: usize,
}

macro_rules! setter {
    ($name:ident, $opt:ident, $variant:ident, $ty:ty) => {
        /// Appends a value to the next column.
        pub fn $name(self, v: $ty) -> Self {
            self.$opt(Some(v))
        }

        /// Appends a value or null to the next column.
        pub fn $opt(mut self, v: Option<$ty>) -> Self {
            match self.column() {
                ColumnBuilder::$variant(b) => b.append_option(v),
                _ => self.wrong_type(stringify!($variant)),
            }
            self.next += 1;
            self
        }
    };
}

impl Row<'_> {
    fn column(&mut self) -> &mut ColumnBuilder {
        let table = self.builder.table.name;
        let n = self.builder.columns.len();
        self.builder
            .columns
            .get_mut(self.next)
            .unwrap_or_else(|| panic!("table {table}: more values than its {n} columns"))
    }

    fn wrong_type(&self, given: &str) -> ! {
        let col = &self.builder.table.columns[self.next];
        panic!(
            "table {}: column {} is {:?}, given {given}",
            self.builder.table.name, col.name, col.ty
        )
    }

    /// Appends a string to the next column.
    pub fn str(self, v: &str) -> Self {
        self.opt_str(Some(v))
    }

    /// Appends a string or null to the next column.
    pub fn opt_str(mut self, v: Option<&str>) -> Self {
        let len = v.map_or(0, str::len);
        match self.column() {
            ColumnBuilder::Utf8(b) => b.append_option(v),
            _ => self.wrong_type("a string"),
        }
        self.builder.bytes += len;
        self.next += 1;
        self
    }

    /// Appends a list of strings to the next column.
    pub fn str_list<'s>(mut self, items: impl IntoIterator<Item = &'s str>) -> Self {
        match self.column() {
            ColumnBuilder::ListUtf8(b) => {
                for item in items {
                    b.values().append_value(item);
                }
                b.append(true);
            }
            _ => self.wrong_type("a list of strings"),
        }
        self.next += 1;
        self
    }

    setter!(bool, opt_bool, Bool, bool);
    setter!(i32, opt_i32, Int32, i32);
    setter!(i64, opt_i64, Int64, i64);
    setter!(f32, opt_f32, Float32, f32);
    setter!(f64, opt_f64, Float64, f64);
    setter!(timestamp_us, opt_timestamp_us, TimestampUs, i64);

    /// Ends the row; panics if a column was left without a value.
    pub fn end(self) {
        let expected = self.builder.columns.len();
        assert_eq!(
            self.next, expected,
            "table {}: row has {} values for {expected} columns",
            self.builder.table.name, self.next
        );
        debug_assert!(
            self.builder
                .columns
                .iter()
                .all(|c| c.len() == self.builder.rows)
        );
    }
}
