package dev.marketplace.escompat;

import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SortedNumericDocValues;
import org.elasticsearch.index.fielddata.IndexNumericFieldData;
import org.elasticsearch.index.fielddata.LeafNumericFieldData;
import org.elasticsearch.index.fielddata.SortedNumericDoubleValues;
import org.elasticsearch.index.fielddata.plain.LeafDoubleFieldData;
import org.elasticsearch.script.field.DocValuesScriptFieldFactory;
import org.elasticsearch.script.field.ScaledFloatDocValuesField;
import org.elasticsearch.search.aggregations.support.CoreValuesSourceType;
import org.elasticsearch.search.aggregations.support.ValuesSourceType;

import java.io.IOException;

/** The scaled longs of a scaled_float field, read back as doubles (long / scaling factor). */
final class ScaledFloatIndexFieldData extends IndexNumericFieldData {

    private final IndexNumericFieldData scaled;
    private final double scalingFactor;

    ScaledFloatIndexFieldData(IndexNumericFieldData scaled, double scalingFactor) {
        this.scaled = scaled;
        this.scalingFactor = scalingFactor;
    }

    @Override
    public String getFieldName() {
        return scaled.getFieldName();
    }

    @Override
    public ValuesSourceType getValuesSourceType() {
        return CoreValuesSourceType.NUMERIC;
    }

    @Override
    public NumericType getNumericType() {
        return NumericType.DOUBLE;
    }

    @Override
    protected boolean sortRequiresCustomComparator() {
        return true; // the stored longs are not the sort values
    }

    @Override
    protected boolean isIndexed() {
        return false; // so no sort shortcut reads the points, which hold the scaled longs
    }

    @Override
    public LeafNumericFieldData load(LeafReaderContext context) {
        return new Leaf(scaled.load(context), scalingFactor);
    }

    @Override
    public LeafNumericFieldData loadDirect(LeafReaderContext context) {
        return load(context);
    }

    private static final class Leaf extends LeafDoubleFieldData {
        private final LeafNumericFieldData scaled;
        private final double scalingFactor;

        Leaf(LeafNumericFieldData scaled, double scalingFactor) {
            this.scaled = scaled;
            this.scalingFactor = scalingFactor;
        }

        @Override
        public SortedNumericDoubleValues getDoubleValues() {
            SortedNumericDocValues values = scaled.getLongValues();
            return new SortedNumericDoubleValues() {
                @Override
                public boolean advanceExact(int doc) throws IOException {
                    return values.advanceExact(doc);
                }

                @Override
                public double nextValue() throws IOException {
                    return values.nextValue() / scalingFactor;
                }

                @Override
                public int docValueCount() {
                    return values.docValueCount();
                }
            };
        }

        @Override
        public DocValuesScriptFieldFactory getScriptFieldFactory(String name) {
            return new ScaledFloatDocValuesField(getDoubleValues(), name);
        }

        @Override
        public long ramBytesUsed() {
            return scaled.ramBytesUsed();
        }

        @Override
        public void close() {
            scaled.close();
        }
    }
}
