/** A decision-table artifact that cannot be loaded: not JSON, not matching the schema, wrong format or
 * digest, dangling references, or a bad regular expression. The message is one or a few clear lines. */
export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}
