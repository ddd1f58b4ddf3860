package io.ds4j.sweep;

import java.lang.reflect.InvocationTargetException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.deeplearning4j.arbiter.optimize.api.data.DataProvider;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;

/**
 * The two ways Arbiter hands a task its data, a {@link DataProvider} instance or a {@link DataSource} class with
 * properties, behind one interface; each call passes the candidate's own data parameters (its world size and
 * resolved {@code train_batch_size}, see {@link ZeroTrainerTaskCreator}).
 */
interface CandidateData {
    /**
     * @param extra the candidate's data parameters
     * @return the training data: a {@code DataSetIterator} or {@code MultiDataSetIterator} of global batches
     */
    Object train(Map<String, Object> extra);

    /**
     * @param f the score function
     * @param model the trained network
     * @param extra the candidate's data parameters
     * @return the score
     */
    double score(ScoreFunction f, Object model, Map<String, Object> extra);

    /**
     * @param provider the provider
     * @param base the candidate generator's data parameters, or null
     * @return the provider, called with {@code base} plus the candidate's parameters
     */
    static CandidateData of(DataProvider provider, Map<String, Object> base) {
        return new CandidateData() {
            @Override
            public Object train(Map<String, Object> extra) {
                return provider.trainData(merged(extra));
            }

            @Override
            public double score(ScoreFunction f, Object model, Map<String, Object> extra) {
                return f.score(model, provider, merged(extra));
            }

            private Map<String, Object> merged(Map<String, Object> extra) {
                Map<String, Object> m = base == null ? new HashMap<>() : new HashMap<>(base);
                m.putAll(extra);
                return m;
            }
        };
    }

    /**
     * @param source the data source class (public, with a public no-argument constructor)
     * @param properties its properties, or null
     * @return the source, configured with {@code properties} plus the candidate's parameters as strings
     */
    static CandidateData of(Class<? extends DataSource> source, Properties properties) {
        return new CandidateData() {
            @Override
            public Object train(Map<String, Object> extra) {
                DataSource ds;
                try {
                    ds = source.getDeclaredConstructor().newInstance();
                } catch (ReflectiveOperationException e) {
                    Throwable cause = e instanceof InvocationTargetException i ? i.getCause() : e;
                    throw new IllegalArgumentException("data source " + source.getName() + " cannot be created: "
                            + cause + "; give it a public no-argument constructor", cause);
                }
                ds.configure(merged(extra));
                return ds.trainData();
            }

            @Override
            public double score(ScoreFunction f, Object model, Map<String, Object> extra) {
                return f.score(model, source, merged(extra));
            }

            private Properties merged(Map<String, Object> extra) {
                Properties p = new Properties();
                if (properties != null) {
                    p.putAll(properties);
                }
                extra.forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
                return p;
            }
        };
    }
}
