/** Classification and survival metrics (conventions documented in each module). */
export * as classification from './classification.js';
export * as survival from './survival.js';
