// Log lines in Redis's format ("pid:M 21 Nov 2026 06:07:00.123 * message"), so operators and
// tools that read Redis logs read ours. Levels follow the loglevel setting.

import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';
const rank: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const mark: Record<LogLevel, string> = {
  debug: '.',
  verbose: '-',
  notice: '*',
  warning: '#',
  nothing: '',
};
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export class Logger {
  constructor(
    public level: LogLevel = 'notice',
    public file = '',
  ) {}

  log(level: LogLevel, message: string): void {
    if (rank[level] < rank[this.level] || level === 'nothing') return;
    const now = new Date();
    const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
    const stamp = `${pad(now.getDate())} ${months[now.getMonth()] as string} ${now.getFullYear()} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}`;
    const line = `${process.pid}:M ${stamp} ${mark[level]} ${message}\n`;
    if (this.file === '') process.stdout.write(line);
    else appendFileSync(this.file, line);
  }

  debug(message: string): void {
    this.log('debug', message);
  }
  verbose(message: string): void {
    this.log('verbose', message);
  }
  notice(message: string): void {
    this.log('notice', message);
  }
  warning(message: string): void {
    this.log('warning', message);
  }
}
