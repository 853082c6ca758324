package dev.marketplace.escompat;

import org.apache.lucene.search.Query;
import org.elasticsearch.common.Explicit;
import org.elasticsearch.common.xcontent.support.XContentMapValues;
import org.elasticsearch.index.fielddata.FieldDataContext;
import org.elasticsearch.index.fielddata.IndexFieldData;
import org.elasticsearch.index.fielddata.IndexNumericFieldData.NumericType;
import org.elasticsearch.index.fielddata.plain.SortedNumericIndexFieldData;
import org.elasticsearch.index.mapper.DocumentParserContext;
import org.elasticsearch.index.mapper.FieldMapper;
import org.elasticsearch.index.mapper.MapperBuilderContext;
import org.elasticsearch.index.mapper.NumberFieldMapper;
import org.elasticsearch.index.mapper.NumberFieldMapper.NumberType;
import org.elasticsearch.index.mapper.SimpleMappedFieldType;
import org.elasticsearch.index.mapper.SourceValueFetcher;
import org.elasticsearch.index.mapper.TextSearchInfo;
import org.elasticsearch.index.mapper.ValueFetcher;
import org.elasticsearch.index.query.SearchExecutionContext;
import org.elasticsearch.script.field.LongDocValuesField;
import org.elasticsearch.search.DocValueFormat;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentParser;
import org.elasticsearch.xcontent.XContentParser.Token;

import java.io.IOException;
import java.time.ZoneId;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code "type": "scaled_float"}: a floating point value stored as the long
 * {@code round(value * scaling_factor)} (points for queries, doc values for sorting and
 * aggregations); searches, sorts and aggregations see {@code long / scaling_factor}.
 * Options: {@code scaling_factor} (required), {@code index}, {@code doc_values},
 * {@code store}, {@code null_value}, {@code coerce}, {@code ignore_malformed}, {@code meta}.
 */
public final class ScaledFloatFieldMapper extends FieldMapper {

    public static final String CONTENT_TYPE = "scaled_float";

    public static final TypeParser PARSER = new TypeParser(
        (name, context) -> new Builder(
            name,
            IGNORE_MALFORMED_SETTING.get(context.getSettings()),
            NumberFieldMapper.COERCE_SETTING.get(context.getSettings())
        )
    );

    private static ScaledFloatFieldMapper toType(FieldMapper mapper) {
        return (ScaledFloatFieldMapper) mapper;
    }

    public static final class Builder extends FieldMapper.Builder {

        private final Parameter<Boolean> indexed = Parameter.indexParam(m -> toType(m).indexed, true);
        private final Parameter<Boolean> hasDocValues = Parameter.docValuesParam(m -> toType(m).hasDocValues, true);
        private final Parameter<Boolean> stored = Parameter.storeParam(m -> toType(m).stored, false);
        private final Parameter<Explicit<Boolean>> ignoreMalformed;
        private final Parameter<Explicit<Boolean>> coerce;
        private final Parameter<Double> scalingFactor = new Parameter<>(
            "scaling_factor",
            false,
            () -> null,
            (n, c, o) -> XContentMapValues.nodeDoubleValue(o),
            m -> toType(m).scalingFactor,
            XContentBuilder::field,
            Objects::toString
        ).addValidator(value -> {
            if (value == null) {
                throw new IllegalArgumentException("Field [scaling_factor] is required");
            }
            if (Double.isFinite(value) == false || value <= 0) {
                throw new IllegalArgumentException("[scaling_factor] must be a positive number, got [" + value + "]");
            }
        });
        private final Parameter<Double> nullValue = new Parameter<>(
            "null_value",
            false,
            () -> null,
            (n, c, o) -> o == null ? null : XContentMapValues.nodeDoubleValue(o),
            m -> toType(m).nullValue,
            XContentBuilder::field,
            Objects::toString
        ).acceptsNull();
        private final Parameter<Map<String, String>> meta = Parameter.metaParam();

        private final boolean ignoreMalformedByDefault;
        private final boolean coerceByDefault;

        Builder(String name, boolean ignoreMalformedByDefault, boolean coerceByDefault) {
            super(name);
            this.ignoreMalformedByDefault = ignoreMalformedByDefault;
            this.coerceByDefault = coerceByDefault;
            this.ignoreMalformed = Parameter.explicitBoolParam(
                "ignore_malformed",
                true,
                m -> toType(m).ignoreMalformed,
                ignoreMalformedByDefault
            );
            this.coerce = Parameter.explicitBoolParam("coerce", true, m -> toType(m).coerce, coerceByDefault);
        }

        @Override
        protected Parameter<?>[] getParameters() {
            return new Parameter<?>[] { indexed, hasDocValues, stored, ignoreMalformed, meta, scalingFactor, coerce, nullValue };
        }

        @Override
        public ScaledFloatFieldMapper build(MapperBuilderContext context) {
            ScaledFloatFieldType type = new ScaledFloatFieldType(
                context.buildFullName(leafName()),
                indexed.getValue(),
                stored.getValue(),
                hasDocValues.getValue(),
                meta.getValue(),
                scalingFactor.getValue(),
                nullValue.getValue()
            );
            return new ScaledFloatFieldMapper(leafName(), type, builderParams(this, context), this);
        }
    }

    public static final class ScaledFloatFieldType extends SimpleMappedFieldType {

        private final double scalingFactor;
        private final Double nullValue;

        ScaledFloatFieldType(
            String name,
            boolean indexed,
            boolean stored,
            boolean hasDocValues,
            Map<String, String> meta,
            double scalingFactor,
            Double nullValue
        ) {
            super(name, indexed, stored, hasDocValues, TextSearchInfo.SIMPLE_MATCH_WITHOUT_TERMS, meta);
            this.scalingFactor = scalingFactor;
            this.nullValue = nullValue;
        }

        public double getScalingFactor() {
            return scalingFactor;
        }

        @Override
        public String typeName() {
            return CONTENT_TYPE;
        }

        @Override
        public boolean isSearchable() {
            return isIndexed() || hasDocValues();
        }

        /** value * scaling factor, with the binary noise of the product removed (0.07 * 100 is 7.000000000000001). */
        private double scale(Object value) {
            double scaled = NumberType.objectToDouble(value) * scalingFactor;
            double nearest = Math.rint(scaled);
            return Math.abs(scaled - nearest) <= Math.ulp(scaled) * 4 ? nearest : scaled;
        }

        @Override
        public Query termQuery(Object value, SearchExecutionContext context) {
            failIfNotIndexedNorDocValuesFallback(context);
            return NumberType.LONG.termQuery(name(), Math.round(scale(value)), isIndexed());
        }

        @Override
        public Query rangeQuery(Object lowerTerm, Object upperTerm, boolean includeLower, boolean includeUpper, SearchExecutionContext context) {
            failIfNotIndexedNorDocValuesFallback(context);
            Long lower = null;
            if (lowerTerm != null) {
                double scaled = scale(lowerTerm);
                lower = includeLower ? (long) Math.ceil(scaled) : (long) Math.floor(scaled) + 1;
            }
            Long upper = null;
            if (upperTerm != null) {
                double scaled = scale(upperTerm);
                upper = includeUpper ? (long) Math.floor(scaled) : (long) Math.ceil(scaled) - 1;
            }
            return NumberType.LONG.rangeQuery(name(), lower, upper, true, true, hasDocValues(), context, isIndexed());
        }

        @Override
        public IndexFieldData.Builder fielddataBuilder(FieldDataContext fieldDataContext) {
            failIfNoDocValues();
            SortedNumericIndexFieldData.Builder scaled = new SortedNumericIndexFieldData.Builder(
                name(),
                NumericType.LONG,
                LongDocValuesField::new,
                isIndexed()
            );
            return (cache, breakerService) -> new ScaledFloatIndexFieldData(scaled.build(cache, breakerService), scalingFactor);
        }

        @Override
        public ValueFetcher valueFetcher(SearchExecutionContext context, String format) {
            if (format != null) {
                throw new IllegalArgumentException("Field [" + name() + "] of type [" + typeName() + "] doesn't support formats.");
            }
            Set<String> paths = context.isSourceEnabled() ? context.sourcePath(name()) : Set.of();
            return new SourceValueFetcher(paths, nullValue) {
                @Override
                protected Object parseSourceValue(Object value) {
                    if ("".equals(value)) {
                        return nullValue;
                    }
                    double parsed = value instanceof Number number ? number.doubleValue() : Double.parseDouble(value.toString());
                    return Math.round(parsed * scalingFactor) / scalingFactor;
                }
            };
        }

        @Override
        public Object valueForDisplay(Object value) {
            return value == null ? null : ((Number) value).doubleValue();
        }

        @Override
        public DocValueFormat docValueFormat(String format, ZoneId timeZone) {
            checkNoTimeZone(timeZone);
            return format == null ? DocValueFormat.RAW : new DocValueFormat.Decimal(format);
        }
    }

    private final boolean indexed;
    private final boolean hasDocValues;
    private final boolean stored;
    private final Explicit<Boolean> ignoreMalformed;
    private final Explicit<Boolean> coerce;
    private final double scalingFactor;
    private final Double nullValue;
    private final boolean ignoreMalformedByDefault;
    private final boolean coerceByDefault;

    private ScaledFloatFieldMapper(String leafName, ScaledFloatFieldType type, BuilderParams params, Builder builder) {
        super(leafName, type, params);
        this.indexed = builder.indexed.getValue();
        this.hasDocValues = builder.hasDocValues.getValue();
        this.stored = builder.stored.getValue();
        this.ignoreMalformed = builder.ignoreMalformed.getValue();
        this.coerce = builder.coerce.getValue();
        this.scalingFactor = builder.scalingFactor.getValue();
        this.nullValue = builder.nullValue.getValue();
        this.ignoreMalformedByDefault = builder.ignoreMalformedByDefault;
        this.coerceByDefault = builder.coerceByDefault;
    }

    @Override
    public ScaledFloatFieldType fieldType() {
        return (ScaledFloatFieldType) super.fieldType();
    }

    @Override
    protected String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public boolean ignoreMalformed() {
        return ignoreMalformed.value();
    }

    @Override
    public FieldMapper.Builder getMergeBuilder() {
        return new Builder(leafName(), ignoreMalformedByDefault, coerceByDefault).init(this);
    }

    @Override
    protected void parseCreateField(DocumentParserContext context) throws IOException {
        XContentParser parser = context.parser();
        Double value;
        if (parser.currentToken() == Token.VALUE_NULL) {
            value = nullValue;
        } else if (coerce.value() && parser.currentToken() == Token.VALUE_STRING && parser.textLength() == 0) {
            value = nullValue;
        } else {
            try {
                value = parser.doubleValue(coerce.value());
            } catch (IllegalArgumentException e) { // XContentParseException included
                if (ignoreMalformed.value() && parser.currentToken().isValue()) {
                    context.addIgnoredField(fieldType().name());
                    return;
                }
                throw e;
            }
        }
        if (value == null) {
            return;
        }
        if (Double.isFinite(value) == false) {
            if (ignoreMalformed.value()) {
                context.addIgnoredField(fieldType().name());
                return;
            }
            throw new IllegalArgumentException("[scaled_float] only supports finite values, but got [" + value + "]");
        }
        long scaled = Math.round(value * scalingFactor);
        NumberType.LONG.addFields(context.doc(), fieldType().name(), scaled, indexed, hasDocValues, stored);
    }
}
