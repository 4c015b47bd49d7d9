import { parseWsrepStatus, wsrepReason, WsrepStatus } from './wsrep-status';

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

describe('parseWsrepStatus', () => {
  it('reads the rows of SHOW GLOBAL STATUS, whatever the case of the names', () => {
    const rows = [
      { Variable_name: 'wsrep_cluster_status', Value: 'non-Primary' },
      { Variable_name: 'WSREP_READY', Value: 'OFF' },
      { Variable_name: 'wsrep_local_state', Value: '0' },
      { Variable_name: 'wsrep_local_state_comment', Value: 'Initialized' },
    ];
    expect(parseWsrepStatus(rows)).toEqual({ ready: false, primary: false, localState: 0, localStateComment: 'Initialized' });
  });

  it('calls a server that reports no wsrep status not ready', () => {
    expect(wsrepReason(parseWsrepStatus([]))).toBe('wsrep_not_primary');
  });
});
