obj-$(CONFIG_PP_SIM_CONFORMANCE_KUNIT) += pp_sim_conformance_kunit.o
