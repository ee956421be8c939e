package io.github.sparklayernorm.ml.plan;

import io.github.sparklayernorm.kernels.LayerNormSpec;
import java.io.Serializable;
import java.util.OptionalInt;

/**
 * The one rule for how long a cell may be, from the stage's scale/shift and groupSize: checked
 * on the schema's vector size when its metadata has one, and on every cell as it is read.
 *
 * <ul>
 *   <li>No groups: any length above 0, or exactly scale's (shift's) length when they are set.</li>
 *   <li>Groups of {@code g}: a positive multiple of {@code g}; scale and shift, when set, have
 *       {@code g} values (one per position in a group), which {@link #of} checks.</li>
 * </ul>
 */
public final class RowLength implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Values per group, or 0 for whole cells. */
    private final int groupSize;
    /** The length scale/shift give every engine row (a cell, or a group), or 0 when any length goes. */
    private final int affineLength;

    private RowLength(int groupSize, int affineLength) {
        this.groupSize = groupSize;
        this.affineLength = affineLength;
    }

    /**
     * @param stage     how errors name the stage
     * @param groupSize values per group, or 0 for whole cells
     * @throws IllegalArgumentException when scale/shift and groupSize disagree
     */
    public static RowLength of(String stage, LayerNormSpec spec, int groupSize) {
        int affine = Math.max(0, spec.requiredRowLength());
        if (groupSize > 0 && affine > 0 && affine != groupSize) {
            throw new IllegalArgumentException(stage + ": groupSize is " + groupSize + " but scale/shift have "
                    + affine + " values; with groups they have one value per position in a group");
        }
        return new RowLength(groupSize, affine);
    }

    /** Values per group, or 0 for whole cells. */
    public int groupSize() {
        return groupSize;
    }

    /** Whether cells are normalized group by group. */
    public boolean grouped() {
        return groupSize > 0;
    }

    /** The length every cell must have, when one is fixed (scale/shift without groups). */
    public OptionalInt fixed() {
        return groupSize == 0 && affineLength > 0 ? OptionalInt.of(affineLength) : OptionalInt.empty();
    }

    /**
     * What is wrong with a cell of {@code length} values, in words that follow the cell's name
     * ("is empty", "has 3 values but scale/shift have 4; ..."), or {@code null} when it is right.
     */
    public String problem(int length) {
        if (length == 0) {
            return "is empty";
        }
        if (groupSize > 0 && length % groupSize != 0) {
            return "has " + length + " values, not a multiple of groupSize " + groupSize;
        }
        return groupSize == 0 && affineLength > 0 ? LayerNormSpec.rowLengthProblem(length, affineLength) : null;
    }

    /** How to fix a column whose every cell has the {@link #problem} of {@code length} values. */
    String fix(int length) {
        return groupSize > 0 ? "choose a groupSize that divides the row length"
                : "give scale and shift " + length + " values each";
    }
}
