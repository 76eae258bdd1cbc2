export enum VoteResult {
  /** Not enough votes yet to decide either way. */
  Pending = 'VotePending',
  Lost = 'VoteLost',
  Won = 'VoteWon',
}
