//! Integration tests: one binary, one module per topic. The emulator tests start their own moto_server.
//! A resource family's own tests are a file of `tests/it/families/`, found by the build script (build.rs).

mod families {
    include!(concat!(env!("OUT_DIR"), "/family_tests.rs"));
}

mod alarms;
mod cli;
mod config_errors;
mod config_landing_zone;
mod config_recording;
mod coverage;
mod drift;
mod ebs;
mod fault_proxy;
mod faults;
mod first_run;
mod harness;
mod hygiene;
mod init;
mod interruption;
mod json_schema;
mod kms;
mod landing_zone;
mod least_privilege;
mod log_archive;
mod mocked;
mod organization;
mod permissions;
mod read_only;
mod recipes;
mod render;
mod saved_plan;
mod schema;
mod secrets;
mod security_services;
mod wire;
