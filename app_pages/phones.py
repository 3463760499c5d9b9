"""Predicted phone latency: how the predictor works and how good it is, on every published row."""

import streamlit as st

from ui import litert_phone_view, phone_view

st.title("Predicted phone latency")
st.caption("The V1, V2 and V3 pages predict the latency of any config on every phone platform with published "
           "measurements (assets/device_latency.csv and device_latency_more.csv). Judge the predictor here before trusting it.")
phone_view.validation_section()
litert_phone_view.litert_section()  # the phones' runtime (LiteRT) measured on this machine, beside the published figures
