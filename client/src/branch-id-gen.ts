/**
 * Branch ids of tcc, xa and workflow branches (dtm's BranchIDGen): the parent branch id followed by
 * a two-digit sub id, `01`, `02`, ...; a nested transaction inside branch `02` numbers `0201`, ...
 * dtm refuses more than 99 sub branches and ids of 20 characters or more.
 */
export class BranchIdGen {
  #sub = 0;

  constructor(readonly parent = '') {}

  next(): string {
    if (this.#sub >= 99) throw new RangeError('branch id is larger than 99');
    if (this.parent.length >= 20) throw new RangeError('total branch id is longer than 20');
    this.#sub += 1;
    return this.current();
  }

  current(): string {
    return `${this.parent}${String(this.#sub).padStart(2, '0')}`;
  }
}
