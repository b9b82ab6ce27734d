import { Figure } from '../core/figure';
import { intakeFigure } from './intake';
import { intakeToAssignedFigure } from './intake-to-assigned';
import { routingFigure } from './routing';
import { statsFigure } from './stats';
import { timersFigure } from './timers';

/** Every figure, in the order they run. Timers go after the load figures have stopped their processes. */
export const FIGURES: readonly Figure[] = [
  intakeFigure,
  routingFigure,
  intakeToAssignedFigure,
  timersFigure,
  statsFigure,
];
