-- One database per service (auth and commerce never share tables).
CREATE DATABASE tandem_auth;
CREATE DATABASE tandem_commerce;
