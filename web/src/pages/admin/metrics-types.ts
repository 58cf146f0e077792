import type { z } from 'zod';
import type { metricsResponse } from '../../../../api/schemas/metrics';

/** The answer of GET /api/admin/metrics, as the API's schema declares it. */
export type Metrics = z.output<typeof metricsResponse>;
