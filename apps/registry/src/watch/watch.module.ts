import { Module } from '@nestjs/common';
import { PolicyModule } from '../policy/policy.module';
import { WatchController } from './watch.controller';
import { WatchStreams } from './watch-streams.service';

@Module({
  imports: [PolicyModule],
  controllers: [WatchController],
  providers: [WatchStreams],
  exports: [WatchStreams],
})
export class WatchModule {}
