/**
 * Errors raised while loading and planning models.
 *
 * @module
 */

import { GlassboxError } from '../gpu/errors.ts';

/** The file is not a readable model: corrupt, truncated, inconsistent or using external data. */
export class ModelFormatError extends GlassboxError {}

/** The model uses operators (or operator versions) glassbox does not implement. */
export class UnsupportedOperatorError extends GlassboxError {
  /** Each unsupported operator with the names of the nodes using it. */
  readonly operators: Record<string, string[]>;
  /** Creates the error. */
  constructor(message: string, operators: Record<string, string[]>) {
    super(message);
    this.operators = operators;
  }
}

/** A node's inputs do not fit its operator (shapes, types, attribute values). */
export class NodeError extends GlassboxError {}
