import type { Logger } from '@evcam/camera-api';
import { ContainerModule } from '#inversify';
import type { ResolvedConfig } from '../config/schema.js';
import { Ids } from '../container/ids.js';
import type { DecodedEventSink, State } from '../container/services.js';
import { Ingestor } from '../ingest/ingestor.js';

/** The Ingestor: decode, check, adjust, fold into the State. */
export const ingestModule = (): ContainerModule => new ContainerModule(({ bind }) => {
  bind(Ids.Ingestor).toResolvedValue((config: ResolvedConfig, state: State, logger: Logger, sink: DecodedEventSink | undefined) => {
    const ingestor = new Ingestor(state, logger.child({ component: 'ingest' }), { maxBodyBytes: config.receiver.maxBodyBytes });
    if (sink !== undefined) ingestor.onDecoded = sink;
    return ingestor;
  }, [Ids.Config, Ids.State, Ids.Logger, { optional: true, serviceIdentifier: Ids.DecodedEventSink }]);
});
