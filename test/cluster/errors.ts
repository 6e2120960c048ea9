/**
 * A failure the user can act on: its message says what happened and what to do,
 * and the command-line prints it without a stack trace.
 */
export class ClusterError extends Error {
  override name = 'ClusterError';
}
