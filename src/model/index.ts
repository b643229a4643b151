/** portspace's model: Linux 6.18 local port allocation, pure and deterministic. */
export { type Addr, parseAddr, parseCidr } from './addr.js';
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
  type ChoiceCall,
  type ChoiceOptions,
  type DeliveryResult,
  type Endpoint,
  Netns,
  type NetnsOptions,
  type NetnsView,
  NotAnOutcomeError,
  type SocketKind,
  type SockOpt,
} from './netns.js';
export { DEFAULT_PROFILE, isProfile, PROFILES, type Profile } from './profile.js';
export type { Errno, Failure, OwnerRef, Result, RuleId } from './result.js';
export type { Outcomes, SkipReason, TraceEvent } from './search.js';
export type { OptValue, ReadableOpt } from './sockopt.js';
export { SYSCTL_NAMES, type SysctlName } from './sysctl.js';
