package io.github.sparklayernorm.job;

/** A reason to stop that is the user's to fix, said in one line (exit 1, nothing written or destroyed). */
final class JobFailure extends Exception {
    private static final long serialVersionUID = 1L;

    JobFailure(String message) {
        super(message);
    }

    /**
     * The innermost IllegalArgumentException's message, else the exception's: Spark wraps the
     * stage's own words in task and query failures, and those words are what the user acts on.
     */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        String message = String.valueOf(e.getMessage());
        while (t != null) {
            if (t instanceof IllegalArgumentException && t.getMessage() != null) {
                message = t.getMessage();
            }
            t = t.getCause();
        }
        return message;
    }
}
