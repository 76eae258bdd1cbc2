export {
  SkyroadModule,
  SkyroadLifecycle,
  SKYROAD_MODULE_OPTIONS,
  type SkyroadModuleOptions,
} from './skyroad.module.ts';
