package io.github.sparklayernorm.ml.exec.internal;

import org.apache.spark.sql.catalyst.expressions.codegen.Block;
import org.apache.spark.sql.catalyst.expressions.codegen.CodeBlock;
import org.apache.spark.sql.catalyst.expressions.codegen.JavaCode;
import scala.collection.immutable.$colon$colon;
import scala.collection.immutable.List;
import scala.collection.immutable.Nil$;

/** Java source as the code-generation framework's {@link Block}, from Java. */
final class GeneratedCode {

    private GeneratedCode() {
    }

    /** One block of code with no tracked inputs: the caller has written the variables' names in. */
    static Block block(String code) {
        return new CodeBlock(listOf(code), GeneratedCode.<JavaCode>empty());
    }

    /** A Scala list of one item: the Seq both Scala lines take (Scala's Nil is a list of nothing, which Java cannot widen). */
    static <T> List<T> listOf(T item) {
        return new $colon$colon<>(item, empty());
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> empty() {
        return (List<T>) (Object) Nil$.MODULE$;
    }
}
