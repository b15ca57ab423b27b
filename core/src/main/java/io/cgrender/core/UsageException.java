package io.cgrender.core;

/** Bad input from the user: a wrong argument, option, name or config value. Nothing was launched. Exit code 2. */
public class UsageException extends CgrenderException {

    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
