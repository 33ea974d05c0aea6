//! Integration tests: one binary, one module per topic. The emulator tests start their own moto_server.

mod alarms;
mod cli;
mod config_errors;
mod config_landing_zone;
mod config_recording;
mod coverage;
mod drift;
mod fault_proxy;
mod faults;
mod harness;
mod hygiene;
mod interruption;
mod kms;
mod landing_zone;
mod least_privilege;
mod log_archive;
mod mocked;
mod organization;
mod permissions;
mod read_only;
mod render;
mod secrets;
mod wire;
