/** portspace's connector: outbound connections from a source pool, local ports chosen by the model. */
export {
  Connector,
  type ConnectorInfo,
  type ConnectRequest,
  createConnector,
  type PairStats,
} from './connector.js';
export { type Attempt, ConnectorError, type ConnectorErrorCode, isConnectorError } from './errors.js';
export type { ConnectorOptions, Shard, Strategy } from './options.js';
