import { wsrepReason, WsrepStatus } from './database-node.service';

const SYNCED: WsrepStatus = { ready: true, primary: true, localState: 4, localStateComment: 'Synced' };

describe('wsrepReason', () => {
  it('calls a synced node of the primary component ready', () => {
    expect(wsrepReason(SYNCED)).toBeNull();
  });

  it('names a node that lost quorum (non-Primary) first, whatever else it says', () => {
    expect(wsrepReason({ ...SYNCED, primary: false, ready: false, localState: 0, localStateComment: 'Initialized' })).toBe('wsrep_not_primary');
  });

  it('refuses a node that says wsrep_ready=OFF', () => {
    expect(wsrepReason({ ...SYNCED, ready: false })).toBe('wsrep_not_ready');
  });

  it.each([
    [1, 'Joining'],
    [2, 'Donor/Desynced'],
    [3, 'Joined'],
  ])('refuses a node in local state %i (%s): it is catching up or feeding a joiner', (localState, localStateComment) => {
    expect(wsrepReason({ ...SYNCED, localState, localStateComment })).toBe('wsrep_not_synced');
  });
});
