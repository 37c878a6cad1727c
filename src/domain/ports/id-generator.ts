/** Makes ids, injected so tests can make them predictable. */
export interface IdGenerator {
  /** A new id that sorts after every id made earlier by this process. */
  newId(): string;
}
