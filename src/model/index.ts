/** portspace's model: Linux 6.18 local port allocation, pure and deterministic. */
export { type Addr, networkOf, parseAddr, parseCidr } from './addr.js';
export { TIME_WAIT_MS } from './core.js';
export type { SockId } from './entities.js';
export {
  type ConnectHash,
  type Entropy,
  type HostEntropy,
  PerturbTable,
  seededConnectHash,
  seededEntropy,
  seededHost,
} from './entropy.js';
export {
  type CandidatePorts,
  candidatePorts,
  type Headroom,
  settleHeadroom,
} from './headroom.js';
export type {
  NetnsView,
  PortOwnerView,
  PortView,
  SocketView,
  TimeWaitView,
} from './inspect.js';
export {
  type ChoiceCall,
  type ChoiceOptions,
  type DeliveryResult,
  type Endpoint,
  Netns,
  type NetnsOptions,
  NotAnOutcomeError,
  type SocketKind,
  type SockOpt,
} from './netns.js';
export { DEFAULT_PROFILE, isProfile, PROFILES, type Profile } from './profile.js';
export type { Errno, Failure, OwnerRef, Result, RuleId } from './result.js';
export type { Outcomes, SkipReason, TraceEvent } from './search.js';
export { MAX_OPTLEN, type OptValue, READABLE_OPTIONS, type ReadableOpt } from './sockopt.js';
export { SYSCTL_NAMES, type SysctlName, type SysctlValue, type SysctlValues } from './sysctl.js';
export { parseSysctl, type SysctlInput, type SysctlSettings } from './sysctl-settings.js';
export {
  mayReuseTimeWait,
  type TimeWaitFacts,
  type TimeWaitReuseMode,
  type TimeWaitReuseSysctls,
  twReuseAllows,
} from './timewait-reuse.js';
