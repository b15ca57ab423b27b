package io.cgrender.core.box;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Names a concrete {@link Box} class as a role, e.g. {@code @Role(name = "openscad-ubuntu-box", description = …)}. */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Role {

    /** The role name users type: lower-case words joined by '-'. */
    String name();

    /** One line for {@code list-roles}. */
    String description();
}
