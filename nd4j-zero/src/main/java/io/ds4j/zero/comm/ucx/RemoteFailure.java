package io.ds4j.zero.comm.ucx;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * The abort message one rank sends the others: the failing rank, and its cause as class name and message. Common JDK
 * exception types come back as themselves (so a remote {@link IllegalStateException} or {@link TimeoutException} is
 * one here too); anything else becomes a {@link RemoteRankException} that keeps the original class name.
 */
final class RemoteFailure {
    /** Bytes reserved for one abort message; longer messages are cut. */
    static final int MAX_BYTES = 16 * 1024;
    private static final int MAX_CHARS = 4000;

    private RemoteFailure() {
    }

    /** A failure that happened in another rank's process. */
    static final class RemoteRankException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String remoteClass;

        RemoteRankException(String remoteClass, String message) {
            super(message);
            this.remoteClass = remoteClass;
        }

        @Override
        public String toString() {
            String m = getMessage();
            return remoteClass + (m == null ? "" : ": " + m);
        }
    }

    static byte[] encode(int failingRank, Throwable cause) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(failingRank);
            out.writeUTF(cause.getClass().getName());
            String m = cause.getMessage();
            out.writeBoolean(m != null);
            out.writeUTF(m == null ? "" : m.length() > MAX_CHARS ? m.substring(0, MAX_CHARS) + "..." : m);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode an abort message", e);
        }
        return bytes.toByteArray();
    }

    /** The failing rank of an encoded message. */
    static int rank(byte[] message) throws IOException {
        return new DataInputStream(new ByteArrayInputStream(message)).readInt();
    }

    /** The cause of an encoded message, rebuilt as described in the class comment. */
    static Throwable cause(byte[] message) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(message));
        in.readInt();
        String type = in.readUTF();
        boolean hasMessage = in.readBoolean();
        String m = in.readUTF();
        String text = hasMessage ? m : null;
        return switch (type) {
            case "java.lang.IllegalStateException" -> new IllegalStateException(text);
            case "java.lang.IllegalArgumentException" -> new IllegalArgumentException(text);
            case "java.util.concurrent.TimeoutException" -> new TimeoutException(text);
            case "java.lang.InterruptedException" -> new InterruptedException(text);
            case "java.lang.OutOfMemoryError" -> new OutOfMemoryError(text);
            default -> new RemoteRankException(type, text);
        };
    }
}
