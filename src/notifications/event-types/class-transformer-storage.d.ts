// class-transformer keeps its metadata storage out of its typed entry; class-validator-jsonschema
// reads `@Type(() => Line)` from it to describe nested classes.
declare module 'class-transformer/cjs/storage' {
  import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
  export const defaultMetadataStorage: MetadataStorage;
}
