/** Errors of the policy domain: a policy or registries.d file that cannot be used, or a policy that cannot be evaluated. */
import { CodedError, type ErrorCategory } from '../core/index.js';

export type PolicyErrorCode =
  /** containers-policy.json is malformed: bad JSON, duplicate or unknown keys, wrong types, invalid values. */
  | 'INVALID_POLICY'
  /** A registries.d YAML file is malformed, or two files configure the same scope. */
  | 'INVALID_REGISTRIES_D'
  /** The evaluation was handed inconsistent input (e.g. an empty requirement list built by hand). */
  | 'CANNOT_EVALUATE';

/**
 * A policy or registries.d problem. A rejection by policy is never an error: it is a verdict with
 * `allowed: false`.
 */
export class PolicyError extends CodedError<PolicyErrorCode> {
  get category(): ErrorCategory {
    return this.code === 'CANNOT_EVALUATE' ? 'internal' : 'input';
  }
}
